/**
 * Request coalescing: a GET that is already in flight for another GraphQL request, with the same
 * URL and the same caller headers an answer may vary on, is not sent again; the later request
 * waits for the same answer (or the same failure). Concurrent callers that share a credential (a
 * service account, a back end for a front end, one user's parallel queries) then cost the
 * upstream one call per resource instead of one per request.
 *
 * What keeps it from changing an answer:
 * - The key carries the credential and `Accept-Language`: no caller is given another's answer.
 * - Only calls in flight are shared; nothing is kept once the answer is in.
 * - Read your writes: a GET sent before a write to the same service began, or while one was in
 *   flight, is not joined; the later request sends its own.
 * - A shared call ended by its first caller's own limits (that caller left, or its deadline
 *   passed, before an attempt or before a retry it was waiting for) is sent again by a joined
 *   caller that still has time: a retry once its wait is over, one for all the callers joined,
 *   as the attempt it would have been.
 * - A joined caller that leaves meanwhile gets `aborted`, as it would have alone.
 */
import { isUpstreamError, retryCutShortOf } from './failure.js';

/** What a joined call is bound by, its own caller's signal and deadline, and whose it is. */
export interface CoalescedCall {
  signal: AbortSignal;
  /** Epoch ms. */
  deadlineAt: number;
  /** The request id a call sent for this caller carries (`x-request-id`). */
  requestId: string;
  /**
   * The request ids carried by the calls in flight for other requests that this caller joined,
   * so that its log line leads to the upstream's record of the call it was answered by. Made on
   * the first join.
   */
  joinedRequestIds?: Set<string>;
}

/** Sends the call, from attempt `firstAttempt` of the retry policy (1 for a new call). */
export type Send<T> = (firstAttempt?: number) => Promise<T>;

export interface Coalescer {
  /** `send()`'s answer, or that of the same GET (same `key`) already in flight for another call. */
  get<T>(key: string, call: CoalescedCall, send: Send<T>): Promise<T>;
  /** Runs a write: GETs already in flight when it starts, or sent while it runs, are not joined afterwards. */
  write<T>(send: () => Promise<T>): Promise<T>;
}

interface InFlight {
  answer: Promise<unknown>;
  /** The write epoch when it was sent. */
  epoch: number;
  deadlineAt: number;
  /** The request id it was sent with. */
  requestId: string;
}

export interface CoalescerOptions {
  /** Told each time a call joins one already in flight; it must not throw. @default none */
  onJoin?: () => void;
  /** Aborts when the gateway stops: a joined call waiting to retry then answers with the failure it has. */
  ending?: AbortSignal;
}

export function createCoalescer(options: CoalescerOptions = {}): Coalescer {
  const inFlight = new Map<string, InFlight>();
  // Moves at the start and at the end of every write: an entry from another epoch saw a write
  // begin or end after it was sent, so its answer may predate that write.
  let epoch = 0;
  function get<T>(key: string, call: CoalescedCall, send: Send<T>, firstAttempt = 1): Promise<T> {
    const running = inFlight.get(key);
    // Usually a later deadline than the first caller's, but not always: deadlines run from each
    // request's arrival, so one whose body was slow comes with an earlier one. Checked so that
    // a joined caller never waits past a deadline of its own.
    if (running !== undefined && running.epoch === epoch && running.deadlineAt <= call.deadlineAt) {
      options.onJoin?.();
      if (running.requestId !== call.requestId) (call.joinedRequestIds ??= new Set()).add(running.requestId);
      // Sent again through here, so that the callers joined to one call send one call again.
      return joined(running.answer as Promise<T>, call, send, (next) => get(key, call, send, next), options.ending);
    }
    const answer = send(firstAttempt);
    const entry: InFlight = { answer, epoch, deadlineAt: call.deadlineAt, requestId: call.requestId };
    inFlight.set(key, entry);
    const forget = () => {
      if (inFlight.get(key) === entry) inFlight.delete(key);
    };
    answer.then(forget, forget);
    return answer;
  }
  return {
    get: (key, call, send) => get(key, call, send),
    async write<T>(send: () => Promise<T>): Promise<T> {
      epoch++;
      try {
        return await send();
      } finally {
        epoch++;
      }
    },
  };
}

/**
 * The shared answer, unless the first caller's own limits ended it and this caller still has
 * time. No abort listener per joined call while the shared one is in flight: a fan-out joins
 * dozens on one signal, and the wait is bounded by the first caller's timeout and deadline, which
 * come before this caller's.
 */
async function joined<T>(answer: Promise<T>, call: CoalescedCall, send: Send<T>, again: (firstAttempt: number) => Promise<T>, ending: AbortSignal | undefined): Promise<T> {
  let value: T;
  try {
    value = await answer;
  } catch (error) {
    if (endedByFirstCaller(error) && !call.signal.aborted && call.deadlineAt > Date.now()) return again(1);
    // The first caller stopped retrying for reasons of its own: this one makes that retry, with
    // its attempt number, when it was due (the upstream's Retry-After included), if that is
    // before its own deadline. Callers joined to the same call make it once, together.
    const retry = retryCutShortOf(error);
    if (retry !== undefined && !call.signal.aborted && retry.retryAt < call.deadlineAt) {
      await turnToRetry(error as object, retry.retryAt, call, ending);
      // A stopping gateway answers with what it has; a caller that left fails at once (`aborted`).
      if (ending?.aborted) throw error;
      if (call.signal.aborted) return send();
      return again(retry.attempt);
    }
    throw error;
  }
  // This caller left meanwhile: its own call fails at once with `aborted`, as an unshared one would.
  return call.signal.aborted ? send() : value;
}

interface Waiter {
  deadlineAt: number;
  wake: () => void;
}

/** The callers waiting to make the retry cut short after one failure. */
const waitingToRetry = new WeakMap<object, Waiter[]>();

/**
 * Resolves when the retry cut short after `failure` is due, for every caller that joined the
 * failed call at once, earliest deadline first: the first to send it is then the one whose
 * deadline the others may wait behind (a call is joined only by callers with a deadline no
 * earlier than its own). Sooner for a caller that leaves, and for all when the gateway stops.
 */
function turnToRetry(failure: object, retryAt: number, call: CoalescedCall, ending: AbortSignal | undefined): Promise<void> {
  let waiters = waitingToRetry.get(failure);
  if (waiters === undefined) {
    const group: Waiter[] = [];
    waiters = group;
    waitingToRetry.set(failure, group);
    const wakeAll = () => {
      clearTimeout(timer);
      ending?.removeEventListener('abort', wakeAll);
      waitingToRetry.delete(failure);
      for (const waiter of group.sort((a, b) => a.deadlineAt - b.deadlineAt)) waiter.wake();
    };
    const timer = setTimeout(wakeAll, Math.max(0, retryAt - Date.now()));
    if (ending?.aborted) queueMicrotask(wakeAll);
    else ending?.addEventListener('abort', wakeAll, { once: true });
  }
  const group = waiters;
  return new Promise((resolve) => {
    const waiter: Waiter = {
      deadlineAt: call.deadlineAt,
      wake: () => {
        call.signal.removeEventListener('abort', leave);
        resolve();
      },
    };
    const leave = () => {
      const index = group.indexOf(waiter);
      if (index >= 0) group.splice(index, 1);
      resolve();
    };
    group.push(waiter);
    call.signal.addEventListener('abort', leave, { once: true });
  });
}

/** Failures that belong to the first caller, not to the upstream: its caller left, or its deadline passed. */
function endedByFirstCaller(error: unknown): boolean {
  return isUpstreamError(error) && (error.failure.kind === 'aborted' || error.failure.kind === 'deadline');
}
