/**
 * Decides the canonical code of an upstream failure (ERRORS.md §1 and §2). For a response the
 * precedence is: the operator's per-service override, then the upstream's well-known code when
 * its class agrees with the status, then the status table, then the class fallback.
 */
import type { UpstreamFailure } from '../upstream/failure.js';
import { statusOfCode, type ErrorCode } from './codes.js';

/**
 * Per-service overrides: service name → (upstream code, compared folded, or exact Problem
 * `type` URI → canonical code). An override is the operator's explicit word: it applies
 * whatever the response status (a 5xx code may be mapped to a 4xx one and back), except that a
 * 401 or 403 never becomes `NOT_FOUND` (ERRORS.md §7).
 */
export type ErrorOverrides = Readonly<Record<string /* service */, Readonly<Record<string /* upstream code or Problem type URI */, ErrorCode>>>>;

/**
 * An upstream code in lower snake case, so that every casing compares equal:
 * `SOURCES_NOT_READY`, `sources-not-ready` and `sourcesNotReady` all give `sources_not_ready`.
 * Any run of characters other than ASCII letters and digits is one `_`.
 */
export function foldCode(code: string): string {
  return code
    // Lookaheads keep this linear on long input: `sourcesNotReady`, `HTTPError` → `HTTP_Error`.
    .replace(/([a-z0-9])(?=[A-Z])/g, '$1_')
    .replace(/([A-Z])(?=[A-Z][a-z])/g, '$1_')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** ERRORS.md §1, last column: exact names, folded. */
export const wellKnownCodes: Readonly<Record<string, ErrorCode>> = {
  unauthorized: 'UNAUTHENTICATED',
  unauthenticated: 'UNAUTHENTICATED',
  invalid_api_key: 'UNAUTHENTICATED',
  invalid_token: 'UNAUTHENTICATED',
  expired_token: 'UNAUTHENTICATED',
  forbidden: 'FORBIDDEN',
  permission_denied: 'FORBIDDEN',
  access_denied: 'FORBIDDEN',
  insufficient_scope: 'FORBIDDEN',
  not_found: 'NOT_FOUND',
  resource_not_found: 'NOT_FOUND',
  bad_request: 'VALIDATION_ERROR',
  validation_error: 'VALIDATION_ERROR',
  validation_failed: 'VALIDATION_ERROR',
  invalid_request: 'VALIDATION_ERROR',
  invalid_argument: 'VALIDATION_ERROR',
  unprocessable_entity: 'VALIDATION_ERROR',
  rate_limited: 'RATE_LIMITED',
  rate_limit_exceeded: 'RATE_LIMITED',
  too_many_requests: 'RATE_LIMITED',
  throttled: 'RATE_LIMITED',
  conflict: 'CONFLICT',
  already_exists: 'CONFLICT',
  invalid_state: 'CONFLICT',
  bad_transition: 'CONFLICT',
  locked: 'CONFLICT',
  idempotency_conflict: 'CONFLICT',
  plan_limit: 'QUOTA_EXCEEDED',
  usage_limit_exceeded: 'QUOTA_EXCEEDED',
  quota_exceeded: 'QUOTA_EXCEEDED',
  payload_too_large: 'PAYLOAD_TOO_LARGE',
  file_too_large: 'PAYLOAD_TOO_LARGE',
  unsupported_media_type: 'UNSUPPORTED_MEDIA_TYPE',
  unsupported_file_type: 'UNSUPPORTED_MEDIA_TYPE',
  internal_error: 'UPSTREAM_ERROR',
  server_error: 'UPSTREAM_ERROR',
  bad_gateway: 'BAD_GATEWAY',
  service_unavailable: 'SERVICE_UNAVAILABLE',
  unavailable: 'SERVICE_UNAVAILABLE',
  timeout: 'GATEWAY_TIMEOUT',
  gateway_timeout: 'GATEWAY_TIMEOUT',
};

/**
 * ERRORS.md §1 prefix and suffix patterns, tried in this order after the exact names. The
 * suffixes come first: they name an outcome (`..._in_progress`, `..._failed`), where the
 * `invalid_` prefix only says what kind of thing it is about.
 */
export const codePatterns: readonly { readonly test: (folded: string) => boolean; readonly code: ErrorCode }[] = [
  { test: (folded) => folded.endsWith('_in_progress'), code: 'CONFLICT' },
  { test: (folded) => folded.endsWith('_not_configured'), code: 'SERVICE_UNAVAILABLE' },
  { test: (folded) => folded.endsWith('_failed'), code: 'UPSTREAM_ERROR' },
  { test: (folded) => folded.startsWith('invalid_'), code: 'VALIDATION_ERROR' },
];

/** ERRORS.md §1, "from upstream HTTP status". */
const codeOfStatus: Readonly<Record<number, ErrorCode>> = {
  400: 'VALIDATION_ERROR',
  401: 'UNAUTHENTICATED',
  402: 'QUOTA_EXCEEDED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  408: 'GATEWAY_TIMEOUT',
  409: 'CONFLICT',
  410: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'VALIDATION_ERROR',
  429: 'RATE_LIMITED',
  500: 'UPSTREAM_ERROR',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

/**
 * The canonical code for a failed upstream call to `service`. Transport failures have no
 * response to read: refused and reset → `SERVICE_UNAVAILABLE`, timeout and deadline →
 * `GATEWAY_TIMEOUT`, too-large, invalid-body and malformed → `BAD_GATEWAY`, an open
 * circuit → `SERVICE_UNAVAILABLE`, an id or idempotency key refused before the call →
 * `VALIDATION_ERROR`, and a caller who left (aborted) → `GATEWAY_TIMEOUT`: the upstream had not
 * answered by the time it mattered.
 */
export function codeForFailure(failure: UpstreamFailure, service: string, overrides?: ErrorOverrides): ErrorCode {
  switch (failure.kind) {
    case 'response':
    // A redirect's code comes from an override or else is BAD_GATEWAY: no well-known code's class is 3xx.
    case 'redirect':
      return codeForResponse(failure.status, failure.report.code, failure.report.problemType, overrides === undefined ? undefined : overridesFor(overrides, service));
    case 'refused':
    case 'reset':
    case 'circuit-open':
      return 'SERVICE_UNAVAILABLE';
    case 'timeout':
    case 'deadline':
    case 'aborted':
      return 'GATEWAY_TIMEOUT';
    case 'too-large':
    case 'invalid-body':
    case 'malformed':
      return 'BAD_GATEWAY';
    case 'invalid-id':
    case 'invalid-key':
      return 'VALIDATION_ERROR';
  }
}

/**
 * An upstream code longer than this is not read as one (nor shown: `extensions.upstream.code`
 * keeps 128 characters at most). Folding a megabyte-long code took a quarter of a second.
 */
export const maxCodeLength = 512;

function codeForResponse(status: number, upstreamCode: string | undefined, problemType: string | undefined, overrides: Readonly<Record<string, ErrorCode>> | undefined): ErrorCode {
  // ERRORS.md §7: a 401 or 403 never turns into NOT_FOUND, whoever asks.
  const allowed = (code: ErrorCode) => !((status === 401 || status === 403) && code === 'NOT_FOUND');
  const folded = upstreamCode === undefined || upstreamCode.length > maxCodeLength ? undefined : foldCode(upstreamCode);

  const overridden = overrides === undefined ? undefined : overrideFor(overrides, folded, problemType);
  if (overridden !== undefined && allowed(overridden)) return overridden;

  const known = folded === undefined ? undefined : wellKnownCodeFor(folded, classOf(status));
  if (known !== undefined && allowed(known)) return known;

  const byStatus = codeOfStatus[status];
  if (byStatus !== undefined) return byStatus;
  if (status >= 400 && status < 500) return 'VALIDATION_ERROR';
  if (status >= 500 && status < 600) return 'UPSTREAM_ERROR';
  return 'BAD_GATEWAY';
}

/** The well-known code for a folded upstream code, only when its class agrees with `statusClass`. */
function wellKnownCodeFor(folded: string, statusClass: number): ErrorCode | undefined {
  const agrees = (code: ErrorCode) => classOf(statusOfCode[code]) === statusClass;
  // Exact names win over patterns, even when the exact name's class disagrees.
  if (Object.hasOwn(wellKnownCodes, folded)) {
    const exact = wellKnownCodes[folded]!;
    return agrees(exact) ? exact : undefined;
  }
  return codePatterns.find((pattern) => pattern.test(folded) && agrees(pattern.code))?.code;
}

function overrideFor(table: Readonly<Record<string, ErrorCode>>, folded: string | undefined, problemType: string | undefined): ErrorCode | undefined {
  // The exact Problem type URI is the more specific key; then any key equal once folded.
  if (problemType !== undefined && Object.hasOwn(table, problemType)) return table[problemType];
  if (folded === undefined || folded === '') return undefined;
  for (const [key, code] of Object.entries(table)) if (foldCode(key) === folded) return code;
  return undefined;
}

function overridesFor(overrides: ErrorOverrides, service: string): Readonly<Record<string, ErrorCode>> | undefined {
  return Object.hasOwn(overrides, service) ? overrides[service] : undefined;
}

function classOf(status: number): number {
  return Math.floor(status / 100);
}
