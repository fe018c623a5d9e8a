/**
 * One check for everything an error response must never carry (ERRORS.md §4): stack frames,
 * loopback or private addresses with a port, file paths, SQL, HTML tags. Run on the body and
 * headers of every error-producing response.
 */

const patterns: ReadonlyArray<readonly [string, RegExp]> = [
  ['a stack frame', /\bat (?:async )?[\w$.<>]+ \(|\n\s+at \S|\bat (?:file:\/\/|node:|\/)\S+:\d+:\d+/],
  ['a file position', /\.(?:[cm]?[jt]s|py|rb|go|java|php):\d+(?::\d+)?\b/],
  ['a file path', /(?:file:\/\/|node_modules|\/(?:home|usr|var|etc|tmp|work|opt|root|srv|app)\/|[A-Za-z]:\\\\)/],
  ['a loopback or private address with a port', /\b(?:localhost|127(?:\.\d{1,3}){3}|0\.0\.0\.0|10(?:\.\d{1,3}){3}|192\.168(?:\.\d{1,3}){2}|172\.(?:1[6-9]|2\d|3[01])(?:\.\d{1,3}){2}|\[?::1\]?|\[::ffff:[\d.]+\]):\d{2,5}\b/i],
  ['an upstream URL', /https?:\/\/(?:localhost|127\.|10\.|192\.168\.|\[::1\])/i],
  ['SQL', /\b(?:SELECT\s+[\w*,\s.]+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|DROP\s+TABLE|syntax error at or near|ORA-\d{5}|SQLSTATE)\b/i],
  ['an HTML tag', /<\/?(?:html|head|body|div|span|p|a|b|i|pre|h[1-6]|title|script|style|table|tr|td|br|hr)\b[^>]*>/i],
];

/** What leaked, by name (`[]` when nothing did). */
export function findLeaks(text: string): string[] {
  return patterns.filter(([, pattern]) => pattern.test(text)).map(([name]) => name);
}

/** Throws naming each leak found in a response's body and headers. */
export function assertNoLeaks(body: string, headers?: Headers, label = 'response'): void {
  const headerText = headers === undefined ? '' : [...headers.entries()].map(([name, value]) => `${name}: ${value}`).join('\n');
  const leaks = [...new Set([...findLeaks(body), ...findLeaks(headerText)])];
  if (leaks.length > 0) throw new Error(`${label} leaks ${leaks.join(', ')}: ${body.slice(0, 500)}\n${headerText}`);
  for (const name of ['server', 'x-powered-by', 'set-cookie']) {
    if (headers?.has(name)) throw new Error(`${label} carries a ${name} header`);
  }
}
