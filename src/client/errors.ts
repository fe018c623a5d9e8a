/**
 * Typed errors for Conflux clients, after the JavaScript SDK hierarchy of the source documents:
 * a base `ConfluxError` and one subclass per kind of failure a caller handles differently.
 * This module stands alone: it imports nothing from the gateway, so browsers can bundle it.
 */

/**
 * Codes only the client gives: `CONNECTION_ERROR` when no response arrived at all or it was cut off mid-body, `UNKNOWN`
 * for an error that carries no code (not from Conflux, or not from the network).
 */
export type ClientOnlyCode = 'CONNECTION_ERROR' | 'UNKNOWN';

/** `extensions.upstream`: the upstream service that caused the error, when one did. */
export interface UpstreamInfo {
  service: string;
  /** The upstream's HTTP status; absent for transport failures. */
  status?: number;
  /** The upstream's own error code, as it sent it. */
  code?: string;
  /** The Problem Details `type` URI. */
  type?: string;
  title?: string;
  instance?: string;
  /** The upstream's own request or trace id. */
  requestId?: string;
}

/** What every Conflux error is built from. */
export interface ConfluxErrorInit {
  message: string;
  /** A canonical code, a client-only code, or a code from a server that is not Conflux. */
  code: string;
  /** `extensions.status`, or the HTTP status for errors without a GraphQL body. */
  status?: number;
  /** The path of the field that failed; empty for request-level errors. @default [] */
  path?: ReadonlyArray<string | number>;
  /** The gateway's request id (`extensions.requestId`, else the `x-request-id` header). */
  requestId?: string;
  upstream?: UpstreamInfo;
  /** Client-safe specifics: `fieldErrors`, `requiredScope`, `current`, `limit`, `plan`, `validTransitions`. */
  details?: Readonly<Record<string, unknown>>;
  /** Seconds to wait before trying again. */
  retryAfter?: number;
  /** The error this one was made from (an Apollo error, a fetch `TypeError` ...). */
  cause?: unknown;
}

/** The base of every Conflux error: branch on the subclass, or on `code`; never on `message`. */
export class ConfluxError extends Error {
  override name = 'ConfluxError';
  readonly code: string;
  readonly status: number | undefined;
  readonly path: ReadonlyArray<string | number>;
  readonly requestId: string | undefined;
  readonly upstream: UpstreamInfo | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** Seconds to wait: always set on `RateLimitError`, on `ServerError` when the upstream sent one. */
  readonly retryAfter: number | undefined;

  constructor(init: ConfluxErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.status = init.status;
    this.path = init.path ?? [];
    this.requestId = init.requestId;
    this.upstream = init.upstream;
    this.details = init.details;
    this.retryAfter = init.retryAfter;
  }
}

/** `UNAUTHENTICATED`: missing, malformed, invalid or expired credentials. */
export class AuthError extends ConfluxError {
  override name = 'AuthError';
}

/** `FORBIDDEN`: authenticated, not allowed (scope, principal); `details.requiredScope` when known. */
export class ScopeError extends ConfluxError {
  override name = 'ScopeError';
}

/** `NOT_FOUND`: does not exist, or is not visible to the caller. */
export class NotFoundError extends ConfluxError {
  override name = 'NotFoundError';
}

/**
 * The input was refused and sending it again will not help: `VALIDATION_ERROR`, and also
 * `PAYLOAD_TOO_LARGE` and `UNSUPPORTED_MEDIA_TYPE` (the payload itself is what is wrong).
 * Read `code` to tell them apart, `details.fieldErrors` for the fields at fault.
 */
export class ValidationError extends ConfluxError {
  override name = 'ValidationError';
}

/** `RATE_LIMITED`: a rate or token budget is spent; wait `retryAfter` seconds. Never retried. */
export class RateLimitError extends ConfluxError {
  override name = 'RateLimitError';
}

/**
 * `QUOTA_EXCEEDED`: a plan or usage limit (`details.current`, `limit`, `plan`). Not a
 * `RateLimitError`: waiting a few seconds does not help, a bigger plan does.
 */
export class QuotaError extends ConfluxError {
  override name = 'QuotaError';
}

/** `CONFLICT`: clashes with the current state (duplicate id, transition, work in progress). */
export class ConflictError extends ConfluxError {
  override name = 'ConflictError';
}

/**
 * The server side failed: `UPSTREAM_ERROR`, `BAD_GATEWAY`, `SERVICE_UNAVAILABLE`,
 * `GATEWAY_TIMEOUT`, `INTERNAL_SERVER_ERROR`, or an HTTP 5xx without a GraphQL body.
 * Queries failing this way are retried by the retry link.
 */
export class ServerError extends ConfluxError {
  override name = 'ServerError';
}

/** No response arrived, or it was cut off before its body ended: connection refused or reset, DNS failure, timeout, abort. */
export class ConnectionError extends ConfluxError {
  override name = 'ConnectionError';
}

/**
 * Which class each canonical `extensions.code` the gateway sends becomes (README "The error
 * contract"). Kept here rather than imported: this module may not depend on the gateway; a test
 * checks it lists the gateway's codes exactly.
 */
export const errorClassOfCode = {
  UNAUTHENTICATED: AuthError,
  FORBIDDEN: ScopeError,
  NOT_FOUND: NotFoundError,
  VALIDATION_ERROR: ValidationError,
  PAYLOAD_TOO_LARGE: ValidationError,
  UNSUPPORTED_MEDIA_TYPE: ValidationError,
  RATE_LIMITED: RateLimitError,
  QUOTA_EXCEEDED: QuotaError,
  CONFLICT: ConflictError,
  UPSTREAM_ERROR: ServerError,
  BAD_GATEWAY: ServerError,
  SERVICE_UNAVAILABLE: ServerError,
  GATEWAY_TIMEOUT: ServerError,
  INTERNAL_SERVER_ERROR: ServerError,
} as const satisfies Record<string, typeof ConfluxError>;

/** The canonical `extensions.code` values the gateway sends. */
export type ConfluxErrorCode = keyof typeof errorClassOfCode;

/** Guards a string as one of the canonical codes. */
export function isConfluxErrorCode(value: unknown): value is ConfluxErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorClassOfCode, value);
}

/** Builds the error of the class `code` maps to; unknown codes give a plain `ConfluxError`. */
export function createConfluxError(init: ConfluxErrorInit): ConfluxError {
  if (init.code === 'CONNECTION_ERROR') return new ConnectionError(init);
  const ErrorClass = isConfluxErrorCode(init.code) ? errorClassOfCode[init.code] : ConfluxError;
  return new ErrorClass(init);
}
