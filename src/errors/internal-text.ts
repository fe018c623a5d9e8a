/**
 * Recognises text that describes an upstream's insides: a stack frame, a source file position
 * or path, a private or loopback address with its port, SQL. A 4xx message that looks like
 * this is replaced by the code's default sentence (and logged), even though 4xx messages
 * otherwise reach the client (ERRORS.md §4: never a stack trace, SQL, host name or file path).
 */

const internalPatterns: readonly RegExp[] = [
  // Stack frames: `at fn (file:line:col)`, `at file:line:col`, Python's `File "x.py", line 3`.
  /\bat\s+(?:async\s+)?[\w$.<>\[\]]+\s+\(/,
  /\bat\s+(?:file:\/\/|node:|\/)\S*:\d+/,
  /\bFile\s+"[^"]+",\s+line\s+\d+/,
  /\bTraceback \(most recent call last\)/,
  // Source positions and file paths.
  /\.(?:[cm]?[jt]sx?|py|rb|go|java|php|cs|rs|kt|scala|ex|exs)(?::\d+)+\b/i,
  /(?:file:\/\/|node_modules|\/(?:home|usr|var|etc|tmp|opt|root|srv|app|work|proc|lib|mnt)\/|[A-Za-z]:\\)/,
  // Private, loopback or link-local addresses (with a port), and internal host names with one.
  /(?:\b(?:localhost|127(?:\.\d{1,3}){3}|0\.0\.0\.0|10(?:\.\d{1,3}){3}|192\.168(?:\.\d{1,3}){2}|172\.(?:1[6-9]|2\d|3[01])(?:\.\d{1,3}){2}|169\.254(?:\.\d{1,3}){2})|\[::1\]|\[::ffff:[\d.]+\])\s*:\s*\d{1,5}\b/i,
  // Only the label next to the suffix is matched: a pattern over every label of the name
  // backtracks quadratically on a long dotted run (`a.a.a.…`).
  /[a-z0-9-]\.(?:internal|local|lan|corp|svc)(?::\d{1,5})?\b/i,
  // SQL and database driver errors.
  // Upper-case keywords only: "Select a plan from the list" is a fine message. The column list
  // (up to 200 characters) is matched lazily, so that `SELECT SELECT …` costs linear time.
  /\b(?:SELECT\s[\w*,\s."`]{1,200}?\sFROM|INSERT\s+INTO|UPDATE\s+[\w."`]+\s+SET|DELETE\s+FROM|DROP\s+(?:TABLE|DATABASE)|ALTER\s+TABLE|UNION\s+(?:ALL\s+)?SELECT)\b/,
  /\bselect\s+\*\s+from\b/i,
  /\b(?:syntax error at or near|SQLSTATE|ORA-\d{5}|ER_[A-Z_]{4,}|PG::|psycopg2?|SequelizeDatabaseError|PrismaClient\w*Error|duplicate key value violates)\b/i,
];

/**
 * Text past this many characters is never looked at, here or when cleaning text for a client:
 * an upstream may send megabytes of error text, and a client sees at most a short message.
 */
export const maxScannedLength = 10_000;

/**
 * Whether `text` looks like it describes the upstream's internals. Only its first
 * `maxScannedLength` characters are read, and every pattern runs in time linear in them:
 * upstream text (which may echo a caller's input) must never stall the gateway.
 */
export function looksInternal(text: string): boolean {
  const scanned = text.length > maxScannedLength ? text.slice(0, maxScannedLength) : text;
  return internalPatterns.some((pattern) => pattern.test(scanned));
}
