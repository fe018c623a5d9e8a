/**
 * Recognises text that describes an upstream's insides: a stack frame, a source file position
 * or path, an IP address, an internal or machine-like host name, a connection string, SQL, a
 * database's own error, or a credential. A 4xx message that looks like
 * this is replaced by the code's default sentence (and logged), even though 4xx messages
 * otherwise reach the client (ERRORS.md §4: never a stack trace, SQL, host name or file path).
 */
import { jwtPart, keyFormats, secretNameEndings } from '../redaction.js';

/**
 * A secret's name in a message, prefixes included, separated or run together (`db_password`,
 * `dbPassword`, `awsSecretAccessKey`); one start per name keeps it linear. Narrower than the log's:
 * a pagination cursor (`pageToken`, `continuation_token`) is no secret, and `signature=required`
 * or `cookie=consent` are a caller's messages.
 */
const secretNameInText = `(?<![a-z0-9_-])(?![a-z0-9_-]*?(?:page|continuation|sync|cursor)[_-]?token)[a-z0-9_-]*?(?:${secretNameEndings}|pwd)`;

const internalPatterns: readonly RegExp[] = [
  // Stack frames: `at fn (file:line:col)`, `at file:line:col`, Python's `File "x.py", line 3`.
  /\bat\s+(?:async\s+)?[\w$.<>\[\]]+\s+\(/,
  /\bat\s+(?:file:\/\/|node:|\/)\S*:\d+/,
  /\bFile\s+"[^"]+",\s+line\s+\d+/,
  /\bTraceback \(most recent call last\)/,
  // Java's frames without a line: `at com.acme.Foo.bar(Unknown Source)`.
  /\bat\s+[\w$]+(?:\.[\w$<>]+){2,}\(/,
  /\((?:Unknown Source|Native Method)\)/,
  // Source positions and file paths. Not `/data/`: JSON:API pointers (`/data/attributes/name`)
  // start so; a data file under it is caught by its extension below.
  /\.(?:[cm]?[jt]sx?|py|rb|go|java|php|cs|rs|kt|scala|ex|exs)(?::\d+)+\b/i,
  /(?:file:\/\/|node_modules|\/(?:home|usr|var|etc|tmp|opt|root|srv|app|work|proc|lib|mnt|Users|private|Library|run|nix)\/|[A-Za-z]:\\|~\/\.)/,
  // A UNC path (`\\fileserver01\exports`), and a relative path to a source file (`./src/x.ts`).
  /\\\\[\w.$-]{1,100}\\[\w.$-]/,
  /(?<![\w.\/-])(?:\.{1,2}\/|src\/|lib\/|app\/)[\w.\/-]{0,200}\.(?:[cm]?[jt]sx?|py|rb|go|java|php|cs|rs|kt|scala|ex|exs)\b/i,
  /\/[\w.-]{1,100}\/[\w.-]{1,100}\.(?:pem|key|env|csv|sqlite3?|db|log|conf|cfg|ini|ya?ml|toml|properties)\b/i,
  // Private, loopback or link-local addresses (any), localhost and IPv6 loopback with a port.
  /\b(?:127(?:\.\d{1,3}){3}|0\.0\.0\.0|10(?:\.\d{1,3}){3}|192\.168(?:\.\d{1,3}){2}|172\.(?:1[6-9]|2\d|3[01])(?:\.\d{1,3}){2}|169\.254(?:\.\d{1,3}){2})\b/,
  /(?:\blocalhost|\[::1\]|\[::ffff:[\d.]+\])\s*:\s*\d{1,5}\b/i,
  // Any other IPv4 address (not a piece of a longer dotted run such as a version).
  /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)/,
  // Connection strings: a database or broker scheme, or any URL with credentials in it.
  /\b(?:mongodb(?:\+srv)?|postgres(?:ql)?|mysql|mariadb|redis|rediss|amqps?|mssql|sqlserver|jdbc:[a-z]{2,20}|clickhouse|cassandra|nats|kafka|memcached?):\/\//i,
  /:\/\/[^\s\/@]{1,200}@/,
  // A URL naming a port or a host without a dot (`http://billing-svc/`), a dotted host with a
  // port, a host on a well-known database or broker port, Node's network error codes.
  /:\/\/(?:[^\s\/:?#@]{1,253}:\d{1,5}\b|[a-z0-9-]{1,63}(?=[\/?#\s]|$))/i,
  /[a-z0-9-]\.[a-z][a-z0-9-]{0,62}:\d{2,5}\b/i,
  /(?<![\w-])[a-z][a-z0-9]*(?:-[a-z0-9]+)+:\d{2,5}\b/i,
  /[a-z0-9-]:(?:5432|3306|6379|27017|9200|9300|5672|9092|11211|1433|1521|2181|8500|9042|26257)\b/i,
  /\b(?:ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EPIPE)\b/,
  // Only the label next to the suffix is matched: a pattern over every label of the name
  // backtracks quadratically on a long dotted run (`a.a.a.…`).
  /[a-z0-9-]\.(?:internal|local|localdomain|lan|corp|intranet|svc|consul|home\.arpa)(?::\d{1,5})?\b/i,
  /[a-z0-9-]\.(?:(?:rds|cache|compute|elb|ec2|es)\.amazonaws\.com|(?:database|redis\.cache)\.windows\.net|(?:postgres|mysql|mariadb)\.database\.azure\.com|documents\.azure\.com)\b/i,
  // SQL and database driver errors.
  // Upper-case keywords only: "Select a plan from the list" is a fine message. The column list
  // (up to 200 characters) is matched lazily, so that `SELECT SELECT …` costs linear time.
  /\b(?:SELECT\s[\w*,\s."`]{1,200}?\sFROM|INSERT\s+INTO|UPDATE\s+[\w."`]+\s+SET|DELETE\s+FROM|DROP\s+(?:TABLE|DATABASE)|ALTER\s+TABLE|UNION\s+(?:ALL\s+)?SELECT)\b/,
  /\bselect\s+\*\s+from\b/i,
  // A lower-case select of a column list (`select id, email from users`).
  /\bselect\s+[\w."`]{1,64}(?:\s*,\s*[\w."`]{1,64})+\s+from\s+[\w."`]/i,
  // Lower-case SQL only in the shape of a statement: a `where` clause comparing a column, the
  // values or column list of an insert, the assignment of an update.
  /\bselect\s[\w*,\s."`]{1,200}?\sfrom\s+[\w."`]{1,100}\s+where\s+[\w."`]{1,100}\s*(?:[=<>!]|\bin\b|\blike\b|\bis\b)/i,
  /\binsert\s+into\s+[\w."`]{1,100}\s*(?:\(|values\b)/i,
  /\bupdate\s+[\w."`]{1,100}\s+set\s+[\w."`]{1,100}\s*=/i,
  /\bdelete\s+from\s+[\w."`]{1,100}\s+where\b/i,
  /\b(?:syntax error at or near|SQLSTATE|ORA-\d{5}|ER_[A-Z_]{4,}|PG::|psycopg2?|SequelizeDatabaseError|PrismaClient\w*Error|duplicate key value violates|violates (?:foreign key|not-null|check|unique|exclusion) constraint|deadlock detected|SQLITE_[A-Z]+|UNIQUE constraint failed|Duplicate entry '|E11000 duplicate key|MongoServerError)\b/i,
  /\b(?:Unknown column '[^'\n]{1,200}' in '|Table '[^'\n]{1,200}' doesn't exist|You have an error in your SQL syntax)/i,
  /\b(?:relation|column|table) "[^"\n]{1,200}" (?:of relation "[^"\n]{1,200}" )?does not exist\b/i,
  // Credentials an upstream echoed: a bearer or basic credential (long, or with a digit, so
  // that "Basic authentication required" is not one), a secret as `name=value`, a JSON Web
  // Token, a private key, and the key formats of AWS, Stripe, GitHub, Slack and Google.
  /\b(?:Bearer|Basic)\s+(?:(?=[\w.~+/-]*\d)[\w.~+/-]{8,}|[\w.~+/-]{20,})/i,
  // A secret's name as `name=value`. Written `name: value` or with a space after `=`, only a
  // value with a digit counts ("password: too short", "token= is required" are a field's message).
  new RegExp(`${secretNameInText}\\s*=(?:\\s+(?=[^\\s&"'<>]*\\d))?["']?[^\\s&"'<>]{3,}`, 'i'),
  new RegExp(`${secretNameInText}["']?\\s*:\\s*["']?(?=[^\\s"'<>,;}:]*\\d)[^\\s"'<>,;}:]{6,}`, 'i'),
  new RegExp(`\\beyJ${jwtPart}\\.eyJ${jwtPart}`),
  /-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----/,
  new RegExp(`\\b(?:${keyFormats})`),
];

/**
 * A host name of four labels or more under a common top-level domain
 * (`mysql-01.eu-west.acme-corp.net`); a public name such as `docs.example.com` may be a link for
 * the caller. A dotted path of words under another ending is a field's name or a file's
 * (`shipping.address.line1.city`, `holiday-photo.2024.06.jpg`), not a host. Where dotted names
 * are expected (field names, Problem types), only a machine-like one counts: a label with a
 * hyphen or letters run into digits (`db-01`, `eu-west`). One start per dotted run: linear time.
 */
const commonDomains = 'com|net|org|io|ai|dev|app|cloud|tech|co|info|biz|us|uk|eu|de|fr|nl|es|it|pl|se|no|dk|fi|ie|ch|at|be|au|nz|ca|jp|kr|cn|hk|sg|tw|in|br|mx|ru|za';
const hostNameUnderCommonDomain = new RegExp(`(?<![\\w@.-])(?:[a-z0-9-]{1,63}\\.){3,}(?:${commonDomains})\\b`, 'i');
const machineHostName = new RegExp(`(?<![\\w@.-])(?=[a-z0-9.-]*(?:-|[a-z]\\d|\\d[a-z]))(?:[a-z0-9-]{1,63}\\.){3,}(?:${commonDomains})\\b`, 'i');

export interface InternalTextOptions {
  /**
   * The text is a field's name or a URI, where a public dotted name of plain words is expected
   * (`data.attributes.billing.info`, `https://errors.api.payments.example.com/not-found`): a name
   * under a common top-level domain is not taken for a host by that alone, only when it is also
   * machine-like. Internal suffixes, cloud database hosts, addresses and ports still are. @default false
   */
  dottedNamesExpected?: boolean;
}

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
export function looksInternal(text: string, options?: InternalTextOptions): boolean {
  const scanned = text.length > maxScannedLength ? text.slice(0, maxScannedLength) : text;
  if (internalPatterns.some((pattern) => pattern.test(scanned))) return true;
  return (options?.dottedNamesExpected === true ? machineHostName : hostNameUnderCommonDomain).test(scanned);
}
