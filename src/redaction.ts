/**
 * What never reaches a log line: values under secret keys (headers that carry credentials,
 * tokens, keys, passwords), judged by name at any depth, and credentials inside free text
 * (`Bearer <token>`, `access_token=…` in a URL an upstream echoed). The production logger runs
 * every record through `scrubSecrets`; withheld upstream detail is scrubbed before it is cut
 * short for the log, since a cut is text, whose keys can no longer be told apart.
 */

/** The replacement for every redacted value. */
export const redactedValue = '[redacted]';

/** Put where a record nests deeper than is read: what lies below is not logged at all. */
export const tooDeepValue = '[nested too deep to log]';

/**
 * Folded endings of keys whose values are secrets wherever they appear (an upstream body echoing
 * a key...): `token`, `refresh_token`, `X-Api-Key`, `private_key`, `secret_key`, `accessKey`,
 * `aws_secret_access_key`, `db_password`, `client_secret`, `dsn`, `connection_string`,
 * `Set-Cookie`, `Proxy-Authorization`, and the `Idempotency-Key` header.
 */
const secretEndings = [
  'token',
  'secret',
  'password',
  'passwd',
  'apikey',
  'privatekey',
  'secretkey',
  'accesskey',
  'credentials',
  'credential',
  'passphrase',
  'dsn',
  'connectionstring',
  'cookie',
  'authorization',
  'idempotencykey',
];

function fold(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

/** Keys already folded and judged: records repeat the same few keys on every line. */
const knownKeys = new Map<string, boolean>();
const maxKnownKeys = 1000;

export function isSecretKey(key: string): boolean {
  let secret = knownKeys.get(key);
  if (secret === undefined) {
    const folded = fold(key);
    secret = secretEndings.some((ending) => folded.endsWith(ending));
    if (knownKeys.size < maxKnownKeys) knownKeys.set(key, secret);
  }
  return secret;
}

const bearerInText = /\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi;
/**
 * How the name of a secret ends, whatever comes before it (`db_password`, `refresh_token`,
 * `X-Api-Key`, `dbPassword`, `awsSecretAccessKey`): shared with the check of upstream messages.
 */
export const secretNameEndings = 'token|api[_-]?key|(?:secret|access|private)[_-]?key|secret|password|passwd|passphrase';
/**
 * A secret's name in text, prefixes included, separated or run together; in a log also a
 * credential, a cookie, an authorization or a signature. One start per name (nothing of a name
 * before it) keeps it linear.
 */
const secretName = `((?<![a-z0-9_-])[a-z0-9_-]*?(?:${secretNameEndings}|credentials?|authorization|cookie|sig(?:nature)?))`;
/** A secret as a URL's query parameter or a `name=value` pair: `?api_key=…&access_token=…`, `DB_PASSWORD = …`. */
const secretParameterInText = new RegExp(`${secretName}\\s*=\\s*("[^"\\n]{0,500}"|'[^'\\n]{0,500}'|[^&;,\\s"'<>]+)`, 'gi');
/**
 * The same names written `name: value` or as JSON or a dict inside text: a quoted value goes
 * whole (`"password":"correct horse battery staple"`), an unquoted one to the next space.
 */
const secretMemberInText = new RegExp(`${secretName}(["']?\\s*:\\s*)("[^"\\n]{0,500}"|'[^'\\n]{0,500}'|[^\\s"',;}&]+)`, 'gi');
/** An `Authorization` header quoted in text: its scheme and credential both go (`authorization: Token abc`). */
const authorizationInText = /(\b(?:proxy-)?authorization["']?\s*:\s*["']?)[^"'\n,;}]{1,500}/gi;
/**
 * The password of a URL or connection string, with or without a user, `/` and `@` included (to
 * the last `@`): `postgres://admin:<password>@db`, `redis://:<password>@cache`. A port and a
 * path before an `@` (`http://billing-svc:8080/users/ada@example.com`) are no password.
 */
const passwordInUrl = /(\b[a-z][a-z0-9+.-]{0,30}:\/\/[^\s:@\/]{0,200}:)(?!\d{1,5}(?:[/?#]|$))\S{1,200}@/gi;
/**
 * A JSON Web Token anywhere in text. A part does not run over another `eyJ` after a hyphen, so
 * that `eyJ-eyJ-…` is read in linear time (each start would otherwise scan to the end).
 */
export const jwtPart = '(?:\\w|-(?!eyJ)){5,}';
const jwtInText = new RegExp(`\\beyJ${jwtPart}\\.eyJ${jwtPart}(?:\\.[\\w-]*)?`, 'g');
/** Cheap first look: text without any of these words holds nothing the patterns above replace. */
const credentialWord = /bearer|basic|token|key|secret|passw|passphrase|credential|cookie|authorization|sig|eyJ|:\/\//i;
const maxScrubDepth = 8;

/** `[redacted]` in the quotes `value` came in, if any. */
function redactedKeepingQuotes(value: string): string {
  const quote = value[0] === '"' || value[0] === "'" ? value[0] : '';
  return `${quote}${redactedValue}${quote}`;
}

function scrubText(text: string): string {
  if (!credentialWord.test(text)) return text;
  return text
    .replace(authorizationInText, `$1${redactedValue}`)
    .replace(bearerInText, `$1 ${redactedValue}`)
    .replace(jwtInText, redactedValue)
    .replace(secretParameterInText, (_match, name: string, value: string) => `${name}=${redactedKeepingQuotes(value)}`)
    .replace(secretMemberInText, (_match, name: string, separator: string, value: string) => `${name}${separator}${redactedKeepingQuotes(value)}`)
    .replace(passwordInUrl, `$1${redactedValue}@`);
}

/**
 * Replaces secrets in every string of a log record and under every secret key. Objects nested
 * deeper than 8 levels are not logged (`tooDeepValue`): what is not read cannot be checked.
 */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= maxScrubDepth) return tooDeepValue;
  if (Array.isArray(value)) return value.map((item) => scrubSecrets(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretKey(key) ? redactedValue : scrubSecrets(item, depth + 1);
  }
  return out;
}
