/**
 * An Apollo Link with the SDK retry policy of the source documents: queries (never mutations
 * or subscriptions) are retried on network failures and server-side codes, at most 3 attempts
 * in all, waiting about 250 ms then 500 ms (1000 ms for any further wait). `RATE_LIMITED` is
 * never retried: it reaches the caller at once as a `RateLimitError` with `retryAfter`.
 *
 * Apollo's `RetryLink` runs the loop (timers, cancellation); it only retries errors, so a result
 * whose `errors` call for a retry is raised as one below it and turned back into that result
 * above it once the attempts are spent: with `errorPolicy: 'all'` the caller still gets the
 * last partial data.
 *
 * The caller's own abort or timeout (`context.fetchOptions.signal`) ends the loop at once, during
 * a wait too: Apollo's `HttpLink` gives every attempt a signal of its own and would send a retry
 * regardless, and `RetryLink`'s timer does not watch the signal. A `Retry-After` on a
 * server-side failure is a floor for the wait; one longer than the link's longest wait hands the
 * failure over at once. Each attempt has 35 s (the SDK's 30 s timeout, and 5 s for a gateway
 * answering at its own 30 s deadline) to give its first result, past which it is a `ConnectionError`.
 */
import { ApolloLink } from '@apollo/client/link';
import { RetryLink } from '@apollo/client/link/retry';
import { catchError, map, Observable, of, throwError, timeout } from 'rxjs';
import { ConfluxError, ConnectionError, RateLimitError, ServerError } from './errors.js';
import { fromBareAnswer, fromErrorEntries, isAbort, isFetchFailure, isUndecodableBody, recordAnswer, toConfluxErrors } from './to-conflux-error.js';

/** Options of `createRetryLink`. */
export interface RetryLinkOptions {
  /** Waits before the 2nd, 3rd ... attempt, in ms; the last one repeats. @default [250, 500, 1000] */
  delaysMs?: readonly number[];
  /** Attempts in all, the first included; 1 turns retries off. @default 3 */
  maxAttempts?: number;
  /** Spread of each wait as a fraction of it: 0.2 waits between 80% and 120%. @default 0.2 */
  jitter?: number;
  /** How long one attempt may take to give its first result, in ms, past which it fails as a `ConnectionError` (and a query is retried). Keep it above the gateway's `REQUEST_DEADLINE_MS`. @default 35000 */
  timeoutMs?: number;
}

/** The waits of the SDK policy, in ms. */
export const defaultRetryDelaysMs: readonly number[] = [250, 500, 1000];

/** Attempts in all of the SDK policy. */
export const defaultMaxAttempts = 3;

/**
 * One attempt's time limit, in ms: the SDK policy's 30 s, and 5 s more. A Conflux gateway answers
 * a slow upstream at its request deadline (`REQUEST_DEADLINE_MS`, 30 s by default) with the
 * other fields' data and `GATEWAY_TIMEOUT`; a client that gave up at the same moment would
 * throw that partial data away.
 */
export const defaultAttemptTimeoutMs = 35_000;

/** Creates the retry link; put it before the terminating `HttpLink`. Throws on a bad option. */
export function createRetryLink(options: RetryLinkOptions = {}): ApolloLink {
  const { delaysMs, maxAttempts, jitter, timeoutMs } = checkOptions(options);
  const settle = new ApolloLink((operation, forward) => {
    const settled = forward(operation).pipe(catchError((error: unknown) => (error instanceof RetryableResult ? of(error.result) : throwError(() => error))));
    const signal = signalOf(operation);
    return signal === undefined ? settled : untilAborted(settled, signal);
  });
  const longestMs = Math.max(...delaysMs);
  /** The wait before the next attempt, or `undefined` when the server asked for longer than the link waits. */
  const waitMs = (attempt: number, error: unknown): number | undefined => {
    const chosen = retryWaitMs(attempt, delaysMs, jitter);
    const asked = askedWaitMs(error);
    if (asked === undefined) return chosen;
    return asked > longestMs ? undefined : Math.max(chosen, asked);
  };
  const retry = new RetryLink({
    attempts: (attempt, operation, error) =>
      attempt < maxAttempts && isQuery(operation) && !callerLeft(operation) && isRetryable(error) && waitMs(attempt, error) !== undefined,
    delay: (attempt, _operation, error) => waitMs(attempt, error) ?? 0,
  });
  const raise = new ApolloLink((operation, forward) => {
    // Each attempt passes here: one due after the caller left is never sent.
    const signal = signalOf(operation);
    if (signal?.aborted) return throwError(() => callerAbort(signal));
    return forward(operation).pipe(
      // The first result stops the clock (leaving the attempt aborts its fetch), so that a stream
      // (a subscription or `@defer` over HTTP) runs on: no read timeout while results arrive.
      timeout({ first: timeoutMs, with: () => throwError(() => new ConnectionError({ code: 'CONNECTION_ERROR', message: `The gateway did not answer within ${timeoutMs} ms.` })) }),
      map((result) => {
        const response = responseOf(operation);
        // A body that parsed but is no GraphQL response (`[1, 2]`, `errors` not a list).
        const errors: unknown = (result as { errors?: unknown }).errors;
        if (!isRecord(result) || (errors !== undefined && !Array.isArray(errors))) throw notGraphQL(response);
        if (response !== undefined && !response.ok) {
          // A 4xx or 5xx with no error entry (`{"data": null}` under a 500) is its status's failure, not a success.
          if (!Array.isArray(errors) || errors.length === 0) throw fromBareAnswer(response);
          recordAnswer(errors, response);
        }
        if (isQuery(operation) && !('hasNext' in result) && Array.isArray(errors) && errors.length > 0 && isRetryableAmong(fromErrorEntries(errors, result))) {
          throw new RetryableResult(result);
        }
        return result;
      }),
      // A body that is JSON but not an object (`null`) fails inside HttpLink with a TypeError of
      // its own once the answer has arrived, and so does one that does not decode (JSON labelled
      // `gzip`): a server-side failure, not a bug of the caller's nor a lost connection.
      catchError((error: unknown) => {
        const response = responseOf(operation);
        const unusable = error instanceof TypeError && response !== undefined && (!isFetchFailure(error) || isUndecodableBody(error));
        return throwError(() => (unusable ? notGraphQL(response, error) : error));
      }),
    );
  });
  return ApolloLink.from([settle, retry, raise]);
}

/**
 * The wait after failed attempt `attempt` (1-based), in ms: its step of `delaysMs` (the last
 * one repeats), spread by ±`jitter`.
 */
export function retryWaitMs(attempt: number, delaysMs: readonly number[] = defaultRetryDelaysMs, jitter = 0.2, random: () => number = Math.random): number {
  const base = delaysMs[Math.min(attempt, delaysMs.length) - 1] ?? 0;
  // Spread, but never past the longest wait configured (1000 ms by default).
  return Math.min(Math.max(...delaysMs), Math.round(base * (1 - jitter + 2 * jitter * random())));
}

/**
 * A query failing with this error is retried: no response, or a server-side failure (a 5xx, as
 * in the SDK policy of the source documents), unless a rate limit is among its errors. Not the
 * caller's own abort or timeout; not an HTTP 4xx (a bare 408 included) or 501, which would come
 * again the same.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof RetryableResult) return true;
  if (isAbort(error)) return false;
  return isRetryableAmong(toConfluxErrors(error));
}

/** Every error of one answer counts: a retry when one is worth it and none is a rate limit. */
function isRetryableAmong(mapped: readonly ConfluxError[]): boolean {
  // A Conflux error for an upstream's 501 is a 500 whose `upstream.status` says it would come again.
  const worthIt = (error: ConfluxError) => error instanceof ConnectionError || (error instanceof ServerError && !comesAgainTheSame(error.status) && !comesAgainTheSame(error.upstream?.status));
  return mapped.some(worthIt) && !mapped.some((error) => error instanceof RateLimitError);
}

function comesAgainTheSame(status: number | undefined): boolean {
  return status !== undefined && ((status >= 400 && status < 500) || status === 501);
}

/** The longest `retryAfter` (in ms) among the server-side failures `error` stands for. */
function askedWaitMs(error: unknown): number | undefined {
  const mapped = error instanceof RetryableResult ? fromErrorEntries(error.result.errors ?? [], error.result) : toConfluxErrors(error);
  const asked = mapped.filter((item) => item instanceof ServerError && item.retryAfter !== undefined).map((item) => item.retryAfter! * 1000);
  return asked.length === 0 ? undefined : Math.max(...asked);
}

/** `source`, ended with the caller's abort the moment it comes, whatever is pending (an attempt, a wait). */
function untilAborted<T>(source: Observable<T>, signal: AbortSignal): Observable<T> {
  return new Observable<T>((subscriber) => {
    const abort = () => subscriber.error(callerAbort(signal));
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    const subscription = source.subscribe(subscriber);
    return () => {
      signal.removeEventListener('abort', abort);
      subscription.unsubscribe();
    };
  });
}

/**
 * What the caller gets for its abort: the signal's own `AbortError` or `TimeoutError`, or, for an
 * abort with a reason of its own (`abort('user left')`), a `ConnectionError` carrying it.
 */
function callerAbort(signal: AbortSignal): unknown {
  const reason: unknown = signal.reason;
  if (isAbort(reason)) return reason;
  return new ConnectionError({ code: 'CONNECTION_ERROR', message: 'The request was aborted.', cause: reason });
}

/**
 * An answer whose body is not a GraphQL response: the server side failed. A 2xx is
 * `BAD_GATEWAY`; a 4xx or 5xx is what its status says (an HTML 503 from a proxy ...).
 */
function notGraphQL(response: Response | undefined, cause?: unknown): ConfluxError {
  if (response !== undefined && response.status >= 400) return fromBareAnswer(response, 'The response was not a GraphQL response.', cause);
  return new ServerError({
    code: 'BAD_GATEWAY',
    message: 'The response was not a GraphQL response.',
    status: response?.status,
    requestId: response?.headers.get('x-request-id') ?? undefined,
    cause,
  });
}

function responseOf(operation: ApolloLink.Operation): Response | undefined {
  const response = (operation.getContext() as { response?: unknown }).response;
  return response instanceof Response ? response : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isQuery(operation: ApolloLink.Operation): boolean {
  return (operation.operationType as string) === 'query';
}

function signalOf(operation: ApolloLink.Operation): AbortSignal | undefined {
  const signal = (operation.getContext() as { fetchOptions?: { signal?: unknown } }).fetchOptions?.signal;
  return signal instanceof AbortSignal ? signal : undefined;
}

function callerLeft(operation: ApolloLink.Operation): boolean {
  return signalOf(operation)?.aborted === true;
}

/** A result whose errors call for a retry, carried through `RetryLink` as an error. */
class RetryableResult extends Error {
  override name = 'RetryableResult';
  constructor(readonly result: ApolloLink.Result) {
    super('The response carries errors worth a retry.');
  }
}

function checkOptions(options: RetryLinkOptions): Required<RetryLinkOptions> {
  const delaysMs = options.delaysMs ?? defaultRetryDelaysMs;
  const maxAttempts = options.maxAttempts ?? defaultMaxAttempts;
  const jitter = options.jitter ?? 0.2;
  const timeoutMs = options.timeoutMs ?? defaultAttemptTimeoutMs;
  if (delaysMs.length === 0 || !delaysMs.every((delay) => Number.isFinite(delay) && delay >= 0)) {
    throw new TypeError('createRetryLink: delaysMs must be a non-empty list of non-negative numbers of ms');
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new TypeError('createRetryLink: maxAttempts must be a whole number of at least 1');
  }
  if (!(jitter >= 0 && jitter <= 1)) throw new TypeError('createRetryLink: jitter must be a fraction from 0 to 1');
  // setTimeout's own limit is about 24.8 days; past it the timer would fire at once.
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0 && timeoutMs <= 2_147_483_647)) {
    throw new TypeError('createRetryLink: timeoutMs must be a number of ms above 0 (at most 2147483647)');
  }
  return { delaysMs, maxAttempts, jitter, timeoutMs };
}
