/**
 * Turns whatever a Conflux call failed with into the right `ConfluxError` subclass: a GraphQL
 * error from a response's `errors`, or Apollo Client 4's error objects (`CombinedGraphQLErrors`,
 * `CombinedProtocolErrors`, `ServerError`, `ServerParseError`, a network error from `fetch`).
 */
import { CombinedGraphQLErrors, CombinedProtocolErrors, ServerError as ApolloServerError, ServerParseError } from '@apollo/client/errors';
import type { GraphQLFormattedError } from 'graphql';
import { ConfluxError, createConfluxError, type UpstreamInfo } from './errors.js';
import { clampSeconds, parseRetryAfter } from './http-date.js';

/**
 * The one error `error` stands for. A `CombinedGraphQLErrors` holding several errors gives its
 * first; use `toConfluxErrors` to get every one.
 */
export function toConfluxError(error: unknown): ConfluxError {
  return toConfluxErrors(error)[0] ?? unknownError('Unknown error.', error);
}

/** Every error `error` stands for, in the order of the response's `errors`; none for `undefined`. */
export function toConfluxErrors(error: unknown): ConfluxError[] {
  if (error === undefined || error === null) return [];
  if (error instanceof ConfluxError) return [error];
  if (CombinedGraphQLErrors.is(error) || CombinedProtocolErrors.is(error)) return fromErrorEntries(error.errors, error);
  if (ApolloServerError.is(error) || ServerParseError.is(error)) return fromHttpResponse(error);
  if (isGraphQLErrorLike(error)) return [fromGraphQLError(error, undefined, error)];
  if (isConnectionFailure(error)) {
    return [createConfluxError({ code: 'CONNECTION_ERROR', message: 'The gateway could not be reached.', cause: error })];
  }
  return [unknownError(error instanceof Error ? error.message : 'Unknown error.', error)];
}

/**
 * The HTTP answers that results' error entries came in, when it was not a 2xx: Apollo's
 * `HttpLink` hands on a 4xx or 5xx in `application/graphql-response+json` as a plain result, and
 * its status and headers (`Retry-After`, `x-request-id`) would otherwise be lost. The retry link
 * records them here; mapping an entry reads them where its `extensions` say nothing.
 */
const answers = new WeakMap<object, Response>();

/** Records `response` as the answer `entries` (a result's `errors`) came in. */
export function recordAnswer(entries: readonly unknown[], response: Response): void {
  for (const entry of entries) if (isRecord(entry)) answers.set(entry, response);
}

/** Every entry of a response's `errors`. A server that is not Conflux may put anything there, `null` included. */
export function fromErrorEntries(entries: readonly unknown[], cause: unknown): ConfluxError[] {
  return entries.map((item) => (isRecord(item) ? fromGraphQLError(item, answers.get(item), cause) : unknownError('The response held an error entry that is not an object.', cause)));
}

/** One GraphQL error (`{ message, path, extensions }`), as found in a response's `errors`: any of its members may be missing or of the wrong type. */
export function fromGraphQLError(error: GraphQLFormattedError | Readonly<Record<string, unknown>>, response?: Response, cause?: unknown): ConfluxError {
  const extensions: Record<string, unknown> = isRecord(error.extensions) ? error.extensions : {};
  return createConfluxError({
    message: typeof error.message === 'string' ? error.message : 'The response held an error without a message.',
    code: text(extensions['code']) ?? (response ? codeOfStatus(response.status) : 'UNKNOWN'),
    status: wholeNumber(extensions['status']) ?? response?.status,
    path: Array.isArray(error.path) ? error.path : [],
    requestId: text(extensions['requestId']) ?? response?.headers.get('x-request-id') ?? undefined,
    upstream: upstreamOf(extensions['upstream']),
    details: isRecord(extensions['details']) ? extensions['details'] : undefined,
    retryAfter: retryAfterMember(extensions['retryAfter']) ?? (response ? retryAfterHeader(response) : undefined),
    cause: cause ?? error,
  });
}

/**
 * HTTP code → canonical code, for answers that carry no GraphQL error (a proxy's page ...), by
 * the contract's status table: what failed is then whatever stands between the client and
 * Conflux, an upstream as the client sees it.
 */
export function codeOfStatus(status: number): string {
  const known: Record<number, string> = {
    401: 'UNAUTHENTICATED', 402: 'QUOTA_EXCEEDED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 408: 'GATEWAY_TIMEOUT', 409: 'CONFLICT',
    410: 'NOT_FOUND', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'RATE_LIMITED',
    502: 'BAD_GATEWAY', 503: 'SERVICE_UNAVAILABLE', 504: 'GATEWAY_TIMEOUT',
  };
  if (known[status]) return known[status];
  if (status >= 400 && status < 500) return 'VALIDATION_ERROR';
  if (status >= 500 && status < 600) return 'UPSTREAM_ERROR';
  // A 2xx or 3xx that Apollo could not use: the answer was not a GraphQL response.
  return 'BAD_GATEWAY';
}

function fromHttpResponse(error: ApolloServerError | ServerParseError): ConfluxError[] {
  const body = parseJson(error.bodyText);
  const graphQLErrors = isRecord(body) && Array.isArray(body['errors']) ? body['errors'].filter(isGraphQLErrorLike) : [];
  if (graphQLErrors.length > 0) return graphQLErrors.map((item) => fromGraphQLError(item, error.response, error));
  const code = ServerParseError.is(error) && error.statusCode < 400 ? 'BAD_GATEWAY' : codeOfStatus(error.statusCode);
  return [
    createConfluxError({
      message: error.message,
      code,
      status: error.statusCode,
      requestId: error.response.headers.get('x-request-id') ?? undefined,
      retryAfter: retryAfterHeader(error.response),
      cause: error,
    }),
  ];
}

/**
 * fetch rejects with a `TypeError` when no response arrives, and reading a body rejects with one
 * when the connection breaks before the body ends, each worded by its runtime; aborts and
 * timeouts are `DOMException`s. Any other `TypeError` is a bug, not a connection failure.
 */
const fetchFailureMessages = new Set([
  // no response: Node (undici), Chromium, Firefox, Safari, React Native
  'fetch failed', 'Failed to fetch', 'NetworkError when attempting to fetch resource.', 'Load failed', 'Network request failed',
  // the body cut off: Node (undici), Chromium, Firefox, Safari
  'terminated', 'network error', 'Error in body stream', 'The network connection was lost.',
]);

function isConnectionFailure(error: unknown): boolean {
  if (error instanceof TypeError) return isFetchFailure(error) && !isUndecodableBody(error);
  return isAbort(error);
}

/** A `TypeError` that fetch, or reading its body, rejected with (an undecodable body included). */
export function isFetchFailure(error: TypeError): boolean {
  return fetchFailureMessages.has(error.message);
}

/**
 * Node's fetch also says `terminated` when a body does not decode (plain JSON labelled `gzip`):
 * that is no lost connection but an answer that is not GraphQL (the retry link makes it a
 * `ServerError` by its status).
 */
export function isUndecodableBody(error: TypeError): boolean {
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR_BROTLI') || code.startsWith('ERR__ERROR_FORMAT'));
}

/** The caller's own abort or timeout: a `ConnectionError`, but never one to retry. */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

function unknownError(message: string, cause: unknown): ConfluxError {
  return createConfluxError({ code: 'UNKNOWN', message, cause });
}

/** The `Retry-After` header in whole seconds, read as the gateway reads its upstreams' (`-5` is 0, `5, 7` is 5, at most a year). */
export function retryAfterHeader(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  return value === null ? undefined : parseRetryAfter(value, Date.now());
}

function retryAfterMember(value: unknown): number | undefined {
  const seconds = wholeNumber(value);
  return seconds === undefined ? undefined : clampSeconds(seconds);
}

/**
 * A non-2xx answer that carried no error entry (`{"data": null}` under a 500), so only its HTTP
 * status says what failed: the contract's code for that status.
 */
export function fromBareAnswer(response: Response, message = `The gateway answered HTTP ${response.status} without saying why.`, cause?: unknown): ConfluxError {
  return createConfluxError({
    code: codeOfStatus(response.status),
    message,
    status: response.status,
    requestId: response.headers.get('x-request-id') ?? undefined,
    retryAfter: retryAfterHeader(response),
    cause,
  });
}

function upstreamOf(value: unknown): UpstreamInfo | undefined {
  if (!isRecord(value) || typeof value['service'] !== 'string') return undefined;
  const upstream: UpstreamInfo = { service: value['service'] };
  const status = wholeNumber(value['status']);
  if (status !== undefined) upstream.status = status;
  for (const key of ['code', 'type', 'title', 'instance', 'requestId'] as const) {
    const field = text(value[key]);
    if (field !== undefined) upstream[key] = field;
  }
  return upstream;
}

/**
 * A GraphQL error as a response carries it: an object with a string `message`; `{ message }`
 * alone is one. An `Error` counts only with GraphQL's `extensions` or `path` (graphql-js's own).
 */
function isGraphQLErrorLike(value: unknown): value is GraphQLFormattedError {
  if (!isRecord(value) || typeof value['message'] !== 'string') return false;
  return !(value instanceof Error) || isRecord(value['extensions']) || Array.isArray(value['path']);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function wholeNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    // Not JSON (a proxy's HTML page): the caller falls back to the HTTP status.
    return undefined;
  }
}
