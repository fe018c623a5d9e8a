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
 * The caller's own abort or timeout (`context.fetchOptions.signal`) ends the loop: Apollo's
 * `HttpLink` gives every attempt a signal of its own and would send a retry regardless. A
 * `Retry-After` on a server-side failure is a floor for the wait; one longer than the link's
 * longest wait hands the failure over at once.
 */
import { ApolloLink } from '@apollo/client/link';
import { RetryLink } from '@apollo/client/link/retry';
import { catchError, map, of, throwError } from 'rxjs';
import { ConnectionError, RateLimitError, ServerError } from './errors.js';
import { isAbort, toConfluxError, toConfluxErrors } from './to-conflux-error.js';

/** Options of `createRetryLink`. */
export interface RetryLinkOptions {
  /** Waits before the 2nd, 3rd ... attempt, in ms; the last one repeats. @default [250, 500, 1000] */
  delaysMs?: readonly number[];
  /** Attempts in all, the first included; 1 turns retries off. @default 3 */
  maxAttempts?: number;
  /** Spread of each wait as a fraction of it: 0.2 waits between 80% and 120%. @default 0.2 */
  jitter?: number;
}

/** The waits of the SDK policy, in ms. */
export const defaultRetryDelaysMs: readonly number[] = [250, 500, 1000];

/** Attempts in all of the SDK policy. */
export const defaultMaxAttempts = 3;

/** Creates the retry link; put it before the terminating `HttpLink`. Throws on a bad option. */
export function createRetryLink(options: RetryLinkOptions = {}): ApolloLink {
  const { delaysMs, maxAttempts, jitter } = checkOptions(options);
  const settle = new ApolloLink((operation, forward) =>
    forward(operation).pipe(catchError((error: unknown) => (error instanceof RetryableResult ? of(error.result) : throwError(() => error)))),
  );
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
    if (signal?.aborted) return throwError(() => signal.reason ?? new DOMException('The operation was aborted.', 'AbortError'));
    return forward(operation).pipe(
      map((result) => {
        if (isQuery(operation) && !('hasNext' in result) && 'errors' in result && isRetryableResult(result.errors)) {
          throw new RetryableResult(result);
        }
        return result;
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
 * A query failing with this error is retried: no response, or a server-side failure (any 5xx,
 * as in the SDK policy of the source documents). Not the caller's own abort or timeout.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof RetryableResult) return true;
  if (isAbort(error)) return false;
  const mapped = toConfluxError(error);
  return mapped instanceof ConnectionError || mapped instanceof ServerError;
}

/** Retry when a server-side code is among the errors, unless a rate limit is too. */
function isRetryableResult(errors: unknown): boolean {
  if (!Array.isArray(errors) || errors.length === 0) return false;
  const mapped = errors.flatMap((error) => toConfluxErrors(error));
  return mapped.some((error) => error instanceof ServerError) && !mapped.some((error) => error instanceof RateLimitError);
}

/** The longest `retryAfter` (in ms) among the server-side failures `error` stands for. */
function askedWaitMs(error: unknown): number | undefined {
  const mapped = error instanceof RetryableResult ? (error.result.errors ?? []).flatMap((item) => toConfluxErrors(item)) : [toConfluxError(error)];
  const asked = mapped.filter((item) => item instanceof ServerError && item.retryAfter !== undefined).map((item) => item.retryAfter! * 1000);
  return asked.length === 0 ? undefined : Math.max(...asked);
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
  if (delaysMs.length === 0 || !delaysMs.every((delay) => Number.isFinite(delay) && delay >= 0)) {
    throw new TypeError('createRetryLink: delaysMs must be a non-empty list of non-negative numbers of ms');
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new TypeError('createRetryLink: maxAttempts must be a whole number of at least 1');
  }
  if (!(jitter >= 0 && jitter <= 1)) throw new TypeError('createRetryLink: jitter must be a fraction from 0 to 1');
  return { delaysMs, maxAttempts, jitter };
}
