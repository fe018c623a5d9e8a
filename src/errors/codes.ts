/**
 * The canonical error codes of the contract (spec ERRORS.md §1): what clients branch on.
 * Each code has one HTTP-like status, reported as `extensions.status`.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'VALIDATION_ERROR'
  | 'RATE_LIMITED'
  | 'CONFLICT'
  | 'QUOTA_EXCEEDED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UPSTREAM_ERROR'
  | 'BAD_GATEWAY'
  | 'SERVICE_UNAVAILABLE'
  | 'GATEWAY_TIMEOUT'
  | 'INTERNAL_SERVER_ERROR';

/** `extensions.status` for each canonical code. */
export const statusOfCode: Readonly<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  VALIDATION_ERROR: 400,
  RATE_LIMITED: 429,
  CONFLICT: 409,
  QUOTA_EXCEEDED: 402,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UPSTREAM_ERROR: 500,
  BAD_GATEWAY: 502,
  SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
  INTERNAL_SERVER_ERROR: 500,
};

/** Every canonical code, in the order of the contract's table. */
export const errorCodes = Object.keys(statusOfCode) as readonly ErrorCode[];

/** Guards a string as one of the canonical codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(statusOfCode, value);
}

/**
 * The message a 4xx code gets when the upstream body carried none (ERRORS.md §4).
 * 5xx codes never show upstream text; their sentences name the service (see `serverMessageFor`).
 */
export const defaultClientMessages: Readonly<Record<ErrorCode, string>> = {
  UNAUTHENTICATED: 'Missing or invalid credentials.',
  FORBIDDEN: 'Not allowed to perform this operation.',
  NOT_FOUND: 'Not found.',
  VALIDATION_ERROR: 'The request was rejected as invalid.',
  RATE_LIMITED: 'Too many requests.',
  CONFLICT: 'The request conflicts with the current state.',
  QUOTA_EXCEEDED: 'A plan or usage limit was reached.',
  PAYLOAD_TOO_LARGE: 'The payload is too large.',
  UNSUPPORTED_MEDIA_TYPE: 'The content type is not supported.',
  UPSTREAM_ERROR: 'An upstream service failed.',
  BAD_GATEWAY: 'An upstream service answered with something unusable.',
  SERVICE_UNAVAILABLE: 'An upstream service is unavailable.',
  GATEWAY_TIMEOUT: 'An upstream service did not answer in time.',
  INTERNAL_SERVER_ERROR: 'Unexpected error.',
};

/** The fixed sentence for a 5xx code caused by `service` (never upstream text, ERRORS.md §4). */
export function serverMessageFor(code: ErrorCode, service: string): string {
  switch (code) {
    case 'BAD_GATEWAY':
      return `The ${service} service answered with something unusable`;
    case 'SERVICE_UNAVAILABLE':
      return `The ${service} service is unavailable`;
    case 'GATEWAY_TIMEOUT':
      return `The ${service} service did not answer in time`;
    case 'INTERNAL_SERVER_ERROR':
      return 'Unexpected error.';
    default:
      return `The ${service} service failed`;
  }
}
