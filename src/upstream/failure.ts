/**
 * What an upstream call reports when it fails: facts only (status, the upstream's own code and
 * message, retryAfter). Deciding the canonical code is `errors/`'s job, not this folder's.
 */

/** The dialect an error body was recognised as (ERRORS.md §3). */
export type Dialect = 'problem' | 'flat' | 'nested' | 'oauth' | 'list' | 'none';

/** One field-level complaint from an upstream body (`#/mode` pointers already folded to `mode`). */
export interface FieldError {
  field: string;
  message: string;
}

/** What was read from a non-2xx upstream response, whatever its dialect. */
export interface UpstreamErrorReport {
  dialect: Dialect;
  /** The upstream's own code, as sent (not folded). */
  code?: string;
  /** The upstream's human message, raw: it is sanitised before a client sees it. */
  message?: string;
  /** Problem Details members, when the dialect is `problem`. */
  problemType?: string;
  title?: string;
  instance?: string;
  /** RFC 9457 `errors`, JSON:API `errors`, or similar, as field errors. */
  fieldErrors: FieldError[];
  /** Every other member the dialect keeps (Problem extension members, `details`, nested `error` members). Logged; only a safe subset reaches clients. */
  details: Record<string, unknown>;
  /** Whole seconds from `Retry-After` (header) or `retry_after` / `retryAfter` (body). */
  retryAfterSeconds?: number;
  /** The upstream's request id, from headers or body. */
  upstreamRequestId?: string;
}

/** Why an upstream call failed: a tagged union so that every case is handled by name. */
export type UpstreamFailure =
  /** The upstream answered with a non-2xx, non-304 status that is not a redirect. */
  | { kind: 'response'; status: number; report: UpstreamErrorReport }
  /** A 3xx other than 304: never followed. Its body is read too: an override may name its code (ERRORS.md §2). */
  | { kind: 'redirect'; status: number; report: UpstreamErrorReport }
  /** The connection was refused, or the host could not be resolved. */
  | { kind: 'refused' }
  /** The connection was reset or closed before the whole body arrived. */
  | { kind: 'reset' }
  /** What came back was not HTTP, or broke its framing. */
  | { kind: 'malformed' }
  /** One attempt took longer than the upstream timeout. */
  | { kind: 'timeout' }
  /**
   * The whole GraphQL request's deadline passed. `silent`: the attempt had waited, unanswered,
   * at least half of the longest any attempt may wait, which counts against the circuit.
   */
  | { kind: 'deadline'; silent?: true }
  /** The body was larger than the configured maximum; reading stopped there. */
  | { kind: 'too-large'; limitBytes: number }
  /**
   * A 2xx whose body is not the JSON that was promised, or a 304 no request asked for; or an id
   * in an earlier answer that cannot go into the next call's path (no `status` then: no call).
   */
  | { kind: 'invalid-body'; status?: number; reason: string; upstreamRequestId?: string }
  /** The service's circuit is open: no call was made. */
  | { kind: 'circuit-open'; retryAfterSeconds: number }
  /** An id could not be put in a path as exactly one segment: no call was made. */
  | { kind: 'invalid-id'; reason: string }
  /** An `Idempotency-Key` given as an argument could not be sent as one: no call was made. */
  | { kind: 'invalid-key'; reason: string }
  /** The caller went away; the call was abandoned. */
  | { kind: 'aborted' };

export type UpstreamFailureKind = UpstreamFailure['kind'];

const brand = Symbol.for('conflux.UpstreamError');

/** The one error type the upstream layer throws. */
export class UpstreamError extends Error {
  readonly [brand] = true;
  /** The configured service name (`projects`, `directory`...). */
  readonly service: string;
  /** HTTP method of the call. */
  readonly method: string;
  /** The path called, under the service's base URL (for logs only: never sent to clients). */
  readonly path: string;
  readonly failure: UpstreamFailure;
  /** How many attempts were made (0 when the call was refused before sending). */
  readonly attempts: number;
  /** The gateway request id the call was made for, when known (for logs and `extensions.requestId`). */
  readonly requestId?: string;

  constructor(init: { service: string; method: string; path: string; failure: UpstreamFailure; attempts: number; requestId?: string; cause?: unknown }) {
    // A report of what an upstream did, not of a bug here: no stack trace is captured (capturing
    // and later formatting one was a measurable share of the error path's CPU).
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${init.service} ${init.method} ${init.path}: ${init.failure.kind}`, init.cause === undefined ? undefined : { cause: init.cause });
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'UpstreamError';
    // A plain string: graphql-js reads `stack` when it wraps this error at its field, and an
    // unread stack would be formatted through Node's `prepareStackTrace` on that first read.
    this.stack = `UpstreamError: ${this.message}`;
    this.service = init.service;
    this.method = init.method;
    this.path = init.path;
    this.failure = init.failure;
    this.attempts = init.attempts;
    if (init.requestId !== undefined) this.requestId = init.requestId;
  }
}

/** The retry a failure's own caller did not wait for: when it was due (epoch ms), and its attempt number. */
export interface RetryCutShort {
  retryAt: number;
  attempt: number;
}

const retriesCutShort = new WeakMap<UpstreamError, RetryCutShort>();

/**
 * Marks `error` as the last failure of a call whose next attempt was not made for its own
 * caller's reasons (it left, or the wait would pass its deadline). A caller that joined the call
 * and still has time makes that attempt itself, when it is due.
 */
export function retryCutShort(error: UpstreamError, retry: RetryCutShort): UpstreamError {
  retriesCutShort.set(error, retry);
  return error;
}

/** The attempt cut short after `error`; `undefined` when none was. */
export function retryCutShortOf(error: unknown): RetryCutShort | undefined {
  return isUpstreamError(error) ? retriesCutShort.get(error) : undefined;
}

/** Guards an unknown value as an `UpstreamError` (also across module copies). */
export function isUpstreamError(value: unknown): value is UpstreamError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
