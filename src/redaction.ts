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
  'pwd',
  'pass',
  'session',
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
const secretName = `((?<![a-z0-9_-])[a-z0-9_-]*?(?:${secretNameEndings}|credentials?|authorization|cookie|sig(?:nature)?|pwd|pass|session))`;
/** A secret as a URL's query parameter or a `name=value` pair: `?api_key=…&access_token=…`, `DB_PASSWORD = …`. */
const secretParameterInText = new RegExp(`${secretName}\\s*=\\s*("[^"\\n]{0,500}"|'[^'\\n]{0,500}'|[^&;,\\s"'<>]+)`, 'gi');
/**
 * The same names written `name: value` or as JSON or a dict inside text: a quoted value goes
 * whole (`"password":"correct horse battery staple"`), an unquoted one to the next space.
 */
const secretMemberInText = new RegExp(`${secretName}(["']?\\s*:\\s*)("[^"\\n]{0,500}"|'[^'\\n]{0,500}'|[^\\s"',;}&]+)`, 'gi');
/** An `Authorization` or `Idempotency-Key` header quoted in text: its whole value goes (`authorization: Token abc`). */
const authorizationInText = /(\b(?:(?:proxy-)?authorization|idempotency[-_ ]?key)["']?\s*:\s*["']?)[^"'\n,;}]{1,500}/gi;
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
/** The key formats of AWS, Stripe, GitHub, Slack and Google, recognisable without a name: shared with the check of upstream messages. */
export const keyFormats = '(?:AKIA|ASIA)[0-9A-Z]{16}|[rs]k_(?:live|test)_[0-9A-Za-z]{8,}|gh[pousr]_[0-9A-Za-z]{20,}|xox[abprs]-[0-9A-Za-z-]{10,}|AIza[\\w-]{30,}';
const keyFormatInText = new RegExp(`\\b(?:${keyFormats})`, 'g');
/** A private key in PEM, from its first line to its last, or to the end of the text. */
const privateKeyInText = /-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----[^]{0,10000}?(?:-----END [A-Z ]{0,20}PRIVATE KEY-----|$)/g;
const privateKeyEnd = /-----END [A-Z ]{0,20}PRIVATE KEY-----/g;
const base64OrSpace = /[A-Za-z0-9+/=\s]/;

/**
 * Private keys in PEM: whole, or a body whose first line was cut off before the text reached
 * here, walked back from its last line (a pattern matching the body forwards would try every
 * start of a long base64 run: quadratic).
 */
function withoutPrivateKeys(text: string): string {
  if (!text.includes('PRIVATE KEY-----')) return text;
  const whole = text.replace(privateKeyInText, redactedValue);
  let kept = '';
  let from = 0;
  for (const end of whole.matchAll(privateKeyEnd)) {
    let start = end.index;
    while (start > from && end.index - start < 10_000 && base64OrSpace.test(whole[start - 1]!)) start--;
    kept += `${whole.slice(from, start)}${redactedValue}`;
    from = end.index + end[0].length;
  }
  return kept + whole.slice(from);
}
/** Cheap first look: text without any of these words holds nothing the patterns above replace. */
const credentialWord = /bearer|basic|token|key|secret|pass|pwd|session|credential|cookie|authorization|sig|eyJ|:\/\/|AKIA|ASIA|[rs]k_|gh[pousr]_|xox|AIza/i;
const maxScrubDepth = 8;

/** `[redacted]` in the quotes `value` came in, if any. */
function redactedKeepingQuotes(value: string): string {
  const quote = value[0] === '"' || value[0] === "'" ? value[0] : '';
  return `${quote}${redactedValue}${quote}`;
}

function scrubText(text: string): string {
  if (!credentialWord.test(text)) return text;
  return withoutPrivateKeys(text)
    .replace(authorizationInText, `$1${redactedValue}`)
    .replace(bearerInText, `$1 ${redactedValue}`)
    .replace(jwtInText, redactedValue)
    .replace(keyFormatInText, redactedValue)
    .replace(secretParameterInText, (_match, name: string, value: string) => `${name}=${redactedKeepingQuotes(value)}`)
    .replace(secretMemberInText, (_match, name: string, separator: string, value: string) => `${name}${separator}${redactedKeepingQuotes(value)}`)
    .replace(passwordInUrl, `$1${redactedValue}@`);
}

/** Secrets shorter than this are not looked for by value: replacing them would blank out ordinary words. */
export const minKnownSecretLength = 6;

/**
 * `value` with every occurrence of each of `secrets` replaced, in every string at any depth: the
 * caller's own credential and idempotency key, which an upstream may echo bare in its error
 * body, where no pattern can tell them from other text.
 */
export function withoutValues(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') {
    let text = value;
    for (const secret of secrets) if (secret.length >= minKnownSecretLength) text = text.replaceAll(secret, redactedValue);
    return text;
  }
  if (typeof value !== 'object' || value === null || depth >= maxScrubDepth) return value;
  if (Array.isArray(value)) return value.map((item) => withoutValues(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = withoutValues(item, secrets, depth + 1);
  return out;
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
