/**
 * The gateway's configuration: parsed and validated from the environment in one place.
 * `parseConfig` is the only reader of environment variables; a bad value throws a
 * `ConfigError` whose message is one line naming the variable.
 */
import type { ErrorCode } from './errors/codes.js';
import { isErrorCode } from './errors/codes.js';
import { trailingSlashes } from './upstream/url.js';

/** The upstream services the schema is built over. */
export type ServiceName = 'projects' | 'workspaces' | 'directory' | 'knowledge';
export const serviceNames: readonly ServiceName[] = ['projects', 'workspaces', 'directory', 'knowledge'];

/** Per-service overrides: upstream code (folded) or Problem `type` URI → canonical code. */
export type OverrideTable = Readonly<Record<string, Readonly<Record<string, ErrorCode>>>>;

/** A rate window such as `500/1h`: `limit` calls per `windowMs`. */
export interface RateBudget {
  limit: number;
  windowMs: number;
}

/** The fields that carry their own per-caller limit (declared in `schema/` with `rateLimited`). */
export type FieldLimitName = 'startSynthesis' | 'knowledge';

/** What the rate limiter does when its shared store (Redis) fails or is too slow. */
export type StoreFailureMode = 'open' | 'closed';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Config {
  /** Listening port. @default 4000 */
  port: number;
  /** Listening address. @default '127.0.0.1' */
  host: string;
  /** Base URL per service; `undefined` starts the embedded demo service. */
  upstreamUrls: Readonly<Record<ServiceName, string | undefined>>;
  /** One attempt's timeout, in ms. @default 10000 */
  upstreamTimeoutMs: number;
  /** Largest upstream body read, in bytes. @default 10485760 */
  upstreamMaxBodyBytes: number;
  /** Most open connections to one upstream origin (Node entry only). @default 64 */
  upstreamConnections: number;
  /** Share a GET in flight for another request with the same credential (request coalescing). @default true */
  upstreamCoalesce: boolean;
  /** A whole GraphQL request's budget, retries included, in ms. @default 30000 */
  requestDeadlineMs: number;
  /** Each caller's operation budget; `undefined` when `off`. @default 500/1h */
  rateLimitOperations: RateBudget | undefined;
  /** Consecutive failed attempts against one upstream that open its circuit. @default 5 */
  circuitFailureThreshold: number;
  /** How long an open circuit refuses calls before one probe is let through, in ms. @default 10000 */
  circuitHalfOpenAfterMs: number;
  /** Redis for shared rate-limit counters. @default undefined */
  redisUrl: string | undefined;
  /** Per-caller limits of expensive fields; `undefined` when `off`. @default startSynthesis 3/1m, knowledge 30/1m */
  rateLimitFields: Readonly<Record<FieldLimitName, RateBudget | undefined>>;
  /** The in-memory store forgets the least recently seen caller beyond this many, in identities. @default 100000 */
  rateLimitMaxIdentities: number;
  /** `open` serves unlimited (with a warning) while Redis fails; `closed` refuses with 503. @default 'open' */
  rateLimitStoreFailure: StoreFailureMode;
  /** How many reverse proxies in front append to `X-Forwarded-For` and are trusted; 0 ignores the header. @default 0 */
  rateLimitTrustedProxies: number;
  /**
   * A request header that the platform or proxy in front sets to the client's address
   * (`cf-connecting-ip` on Cloudflare), lower-cased; read in place of the TCP peer's address.
   * @default undefined (the TCP peer)
   */
  rateLimitClientIpHeader: string | undefined;
  /** Prepended to every rate-limit key in Redis. @default 'conflux:rl:' */
  rateLimitKeyPrefix: string;
  /** One Redis command's timeout, in ms. @default 500 */
  redisTimeoutMs: number;
  /** Reject requests without a well-formed bearer credential before any upstream call. @default true */
  requireAuth: boolean;
  /** @default 'info' */
  logLevel: LogLevel;
  /** Per-service error code overrides. @default workspaces' SOURCES_NOT_READY → CONFLICT */
  errorOverrides: OverrideTable;
  /** Serve GraphiQL at the GraphQL endpoint to browsers. @default true */
  graphiql: boolean;
  /** Serve Prometheus metrics at `GET /metrics` (Node entry only). @default true */
  metrics: boolean;
  /** `NODE_ENV=development`: extra detail in errors for local debugging. @default false */
  development: boolean;
  /** What hostile callers and inputs are allowed: body size, batching, CORS, document limits. */
  edge: EdgeConfig;
  /** How long SIGTERM waits for in-flight requests before closing them, in ms. @default 10000 */
  shutdownGraceMs: number;
  /** How long an idle keep-alive connection from a caller stays open, in ms (Node entry only). @default 5000 */
  keepAliveTimeoutMs: number;
}

/** Limits at the edge (README "Security"). */
export interface EdgeConfig {
  /** Largest request body read, in bytes; counted while reading. @default 1048576 */
  maxRequestBodyBytes: number;
  /** Most operations in one batched request; 0 refuses batches. @default 0 */
  batchLimit: number;
  /** Accept `multipart/form-data` and `application/x-www-form-urlencoded` bodies. @default false */
  allowFormBodies: boolean;
  /** Origins allowed to call from a browser (CORS); empty sends no CORS headers. @default [] */
  corsOrigins: readonly string[];
  /** Introspection, GraphiQL and "Did you mean" suggestions. @default true */
  introspection: boolean;
  /** Deepest selection, in levels. @default 10 */
  maxDepth: number;
  /** Most aliases in one operation (`__typename` not counted). @default 15 */
  maxAliases: number;
  /** Most directives in one operation. @default 10 */
  maxDirectives: number;
  /** Most tokens in one document. @default 1000 */
  maxTokens: number;
  /** Highest computed cost of one operation (graphql-armor's cost model). @default 5000 */
  maxCost: number;
  /** Name the limit and the value found in rejections. @default false */
  exposeLimits: boolean;
}

/** The overrides shipped by default (UPSTREAMS.md): the request was fine, the state was not. */
export const defaultErrorOverrides: OverrideTable = {
  workspaces: { SOURCES_NOT_READY: 'CONFLICT' },
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the configuration; throws `ConfigError` naming the first bad variable. */
export function parseConfig(env: Env): Config {
  const rateLimitTrustedProxies = integer(env, 'RATE_LIMIT_TRUSTED_PROXIES', 0, 0, 10);
  return {
    port: integer(env, 'PORT', 4000, 0, 65535),
    host: text(env, 'HOST', '127.0.0.1'),
    upstreamUrls: {
      projects: baseUrl(env, 'PROJECTS_URL'),
      workspaces: baseUrl(env, 'WORKSPACES_URL'),
      directory: baseUrl(env, 'DIRECTORY_URL'),
      knowledge: baseUrl(env, 'KNOWLEDGE_URL'),
    },
    upstreamTimeoutMs: integer(env, 'UPSTREAM_TIMEOUT_MS', 10_000, 1, 600_000),
    upstreamMaxBodyBytes: integer(env, 'UPSTREAM_MAX_BODY_BYTES', 10 * 1024 * 1024, 1, 1024 * 1024 * 1024),
    upstreamConnections: integer(env, 'UPSTREAM_CONNECTIONS', 64, 1, 10_000),
    upstreamCoalesce: boolean(env, 'UPSTREAM_COALESCE', true),
    requestDeadlineMs: integer(env, 'REQUEST_DEADLINE_MS', 30_000, 1, 3_600_000),
    circuitFailureThreshold: integer(env, 'CIRCUIT_FAILURE_THRESHOLD', 5, 1, 1000),
    circuitHalfOpenAfterMs: integer(env, 'CIRCUIT_HALF_OPEN_AFTER_MS', 10_000, 1, 3_600_000),
    rateLimitOperations: budget(env, 'RATE_LIMIT_OPERATIONS', '500/1h'),
    redisUrl: redisUrl(env, 'REDIS_URL'),
    rateLimitFields: {
      startSynthesis: budget(env, 'RATE_LIMIT_START_SYNTHESIS', '3/1m'),
      knowledge: budget(env, 'RATE_LIMIT_KNOWLEDGE', '30/1m'),
    },
    rateLimitMaxIdentities: integer(env, 'RATE_LIMIT_MAX_IDENTITIES', 100_000, 1, 100_000_000),
    rateLimitStoreFailure: oneOf(env, 'RATE_LIMIT_STORE_FAILURE', 'open', ['open', 'closed'] as const),
    rateLimitTrustedProxies,
    rateLimitClientIpHeader: clientIpHeader(env, 'RATE_LIMIT_CLIENT_IP_HEADER', rateLimitTrustedProxies),
    rateLimitKeyPrefix: keyPrefix(env, 'RATE_LIMIT_KEY_PREFIX', 'conflux:rl:'),
    redisTimeoutMs: integer(env, 'REDIS_TIMEOUT_MS', 500, 1, 60_000),
    requireAuth: boolean(env, 'REQUIRE_AUTH', true),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', ['debug', 'info', 'warn', 'error', 'silent'] as const),
    errorOverrides: overrides(env, 'ERROR_OVERRIDES'),
    graphiql: boolean(env, 'GRAPHIQL', true),
    metrics: boolean(env, 'METRICS', true),
    development: env['NODE_ENV'] === 'development',
    edge: {
      maxRequestBodyBytes: integer(env, 'MAX_REQUEST_BODY_BYTES', 1024 * 1024, 1, 1024 * 1024 * 1024),
      batchLimit: integer(env, 'BATCH_LIMIT', 0, 0, 100),
      allowFormBodies: boolean(env, 'ALLOW_FORM_BODIES', false),
      corsOrigins: origins(env, 'CORS_ORIGINS'),
      introspection: boolean(env, 'INTROSPECTION', true),
      maxDepth: integer(env, 'MAX_DEPTH', 10, 1, 1000),
      maxAliases: integer(env, 'MAX_ALIASES', 15, 0, 10_000),
      maxDirectives: integer(env, 'MAX_DIRECTIVES', 10, 0, 10_000),
      maxTokens: integer(env, 'MAX_TOKENS', 1000, 1, 1_000_000),
      maxCost: integer(env, 'MAX_COST', 5000, 1, 10_000_000),
      exposeLimits: boolean(env, 'EXPOSE_LIMITS', false),
    },
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 5_000, 1, 600_000),
  };
}

/** A comma-separated list of exact origins (`https://app.example.com`); `*` is refused. */
function origins(env: Env, name: string): string[] {
  const value = raw(env, name);
  if (value === undefined) return [];
  const list = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  for (const item of list) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(item);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.origin !== item) {
      fail(name, value, 'a comma-separated list of origins such as https://app.example.com (no path, no *)');
    }
  }
  return list;
}

/**
 * A header name (a token), lower-cased. Not together with `RATE_LIMIT_TRUSTED_PROXIES`: the two
 * are different answers to where the client's address comes from.
 */
function clientIpHeader(env: Env, name: string, trustedProxies: number): string | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/.test(value)) fail(name, value, 'a header name such as cf-connecting-ip');
  if (trustedProxies > 0) fail(name, value, 'unset while RATE_LIMIT_TRUSTED_PROXIES is above 0 (the address comes from one or the other)');
  return value.toLowerCase();
}

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function fail(name: string, value: string, expected: string): never {
  // URLs may carry credentials: name the variable, never echo its value.
  const shown = name.endsWith('_URL') ? '' : `=${JSON.stringify(value)}`;
  throw new ConfigError(`${name}${shown} is invalid: expected ${expected}`);
}

function text(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    fail(name, value, `a whole number from ${min} to ${max}`);
  }
  return Number(value);
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  return fail(name, value, 'true or false (or 1/0, yes/no, on/off)');
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) fail(name, value, `one of ${allowed.join(', ')}`);
  return value as T;
}

function baseUrl(env: Env, name: string): string | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(name, value, 'an absolute http(s) URL');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) {
    fail(name, value, 'an http(s) URL without query, fragment or credentials');
  }
  return url.href.replace(trailingSlashes, '');
}

function redisUrl(env: Env, name: string): string | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  const expected = 'a redis:// or rediss:// URL with a host, a port up to 65535, at most a database number as its path, no fragment, and no db, username or password in its query string';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(name, value, expected);
  }
  // The Redis client reads these from the query string too, past the rules above (and the
  // database check at start); its other options (`?family=6`) are left to it.
  const extras = url.hash !== '' || value.endsWith('#') || ['db', 'username', 'password'].some((key) => url.searchParams.has(key));
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '' || /\s/.test(value) || !/^(?:\/(?:\d{1,9})?)?$/.test(url.pathname) || extras) {
    fail(name, value, expected);
  }
  return value;
}

function keyPrefix(env: Env, name: string, fallback: string): string {
  const value = raw(env, name) ?? fallback;
  if (!/^[A-Za-z0-9:._{}-]{1,64}$/.test(value)) fail(name, value, 'at most 64 characters of A-Z a-z 0-9 : . _ - { }');
  return value;
}

const windowUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Bounds of a budget: past them a header would read `1e+23`, or a `Retry-After` millions of years. */
export const maxBudgetLimit = 1_000_000_000;
export const maxBudgetWindowMs = 366 * 86_400_000;

/** Parses `N/<window>` (`500/1h`, `100/30s`, `10/m`); `off` gives `undefined`. */
export function parseBudget(value: string): RateBudget | undefined | null {
  if (value.toLowerCase() === 'off') return undefined;
  const match = /^(\d+)\s*\/\s*(\d*)\s*(ms|s|m|h|d)$/.exec(value);
  if (!match) return null;
  const limit = Number(match[1]);
  const windowMs = Number(match[2] || '1') * (windowUnits[match[3]!] ?? 0);
  if (limit < 1 || windowMs < 1 || limit > maxBudgetLimit || windowMs > maxBudgetWindowMs) return null;
  return { limit, windowMs };
}

function budget(env: Env, name: string, fallback: string): RateBudget | undefined {
  const value = raw(env, name) ?? fallback;
  const parsed = parseBudget(value);
  if (parsed === null) return fail(name, value, "N/<window> such as 500/1h, 100/30s or 'off' (N at most 1000000000, the window at most 366d)");
  return parsed;
}

/** `ERROR_OVERRIDES` is JSON `{ "service": { "UPSTREAM_CODE or type URI": "CANONICAL_CODE" } }`, merged over the defaults. */
function overrides(env: Env, name: string): OverrideTable {
  const value = raw(env, name);
  if (value === undefined) return defaultErrorOverrides;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return fail(name, value, 'a JSON object');
  }
  const expected = 'a JSON object of service → { upstream code → canonical code }';
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail(name, value, expected);
  const merged: Record<string, Record<string, ErrorCode>> = {};
  for (const [service, table] of Object.entries(defaultErrorOverrides)) merged[service] = { ...table };
  for (const [service, table] of Object.entries(parsed as Record<string, unknown>)) {
    // A misspelt service would silently override nothing; `__proto__` would reach Object.prototype.
    if (!(serviceNames as readonly string[]).includes(service)) return fail(name, value, `${expected}; the services are ${serviceNames.join(', ')}`);
    if (typeof table !== 'object' || table === null || Array.isArray(table)) return fail(name, value, expected);
    const entries = Object.entries(table as Record<string, unknown>);
    for (const [code, canonical] of entries) {
      // An empty code names no answer: the override would never apply, without a word.
      if (code.trim() === '') return fail(name, value, `${expected}; an upstream code cannot be empty`);
      if (!isErrorCode(canonical)) return fail(name, value, `${expected}; ${JSON.stringify(canonical)} is not a canonical code`);
      // ERRORS.md §1: INTERNAL_SERVER_ERROR is the gateway's own failure, never an upstream's.
      if (canonical === 'INTERNAL_SERVER_ERROR') return fail(name, value, `${expected}; INTERNAL_SERVER_ERROR is kept for the gateway's own failures`);
    }
    // fromEntries makes every key an own property, `__proto__` included.
    merged[service] = Object.fromEntries([...Object.entries(merged[service] ?? {}), ...entries]) as Record<string, ErrorCode>;
  }
  return merged;
}
