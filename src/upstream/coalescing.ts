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
 *   caller that still has time: a retry, once its wait is over.
 * - A joined caller that leaves meanwhile gets `aborted`, as it would have alone.
 */
import { isUpstreamError, retryCutShortAt } from './failure.js';

/** What a joined call is bound by: its own caller's signal and deadline. */
export interface CoalescedCall {
  signal: AbortSignal;
  /** Epoch ms. */
  deadlineAt: number;
}

export interface Coalescer {
  /** `send()`'s answer, or that of the same GET (same `key`) already in flight for another call. */
  get<T>(key: string, call: CoalescedCall, send: () => Promise<T>): Promise<T>;
  /** Runs a write: GETs already in flight when it starts, or sent while it runs, are not joined afterwards. */
  write<T>(send: () => Promise<T>): Promise<T>;
}

interface InFlight {
  answer: Promise<unknown>;
  /** The write epoch when it was sent. */
  epoch: number;
  deadlineAt: number;
}

export interface CoalescerOptions {
  /** Told each time a call joins one already in flight; it must not throw. @default none */
  onJoin?: () => void;
}

export function createCoalescer(options: CoalescerOptions = {}): Coalescer {
  const inFlight = new Map<string, InFlight>();
  // Moves at the start and at the end of every write: an entry from another epoch saw a write
  // begin or end after it was sent, so its answer may predate that write.
  let epoch = 0;
  return {
    get<T>(key: string, call: CoalescedCall, send: () => Promise<T>): Promise<T> {
      const running = inFlight.get(key);
      // Usually a later deadline than the first caller's, but not always: deadlines run from each
      // request's arrival, so one whose body was slow comes with an earlier one. Checked so that
      // a joined caller never waits past a deadline of its own.
      if (running !== undefined && running.epoch === epoch && running.deadlineAt <= call.deadlineAt) {
        options.onJoin?.();
        return joined(running.answer as Promise<T>, call, send);
      }
      const answer = send();
      const entry: InFlight = { answer, epoch, deadlineAt: call.deadlineAt };
      inFlight.set(key, entry);
      const forget = () => {
        if (inFlight.get(key) === entry) inFlight.delete(key);
      };
      answer.then(forget, forget);
      return answer;
    },
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
 * time. No abort listener per joined call: a fan-out joins dozens on one signal, and the wait is
 * bounded by the first caller's timeout and deadline, which come before this caller's.
 */
async function joined<T>(answer: Promise<T>, call: CoalescedCall, send: () => Promise<T>): Promise<T> {
  let value: T;
  try {
    value = await answer;
  } catch (error) {
    if (endedByFirstCaller(error) && !call.signal.aborted && call.deadlineAt > Date.now()) return send();
    // The first caller stopped retrying for reasons of its own: this one makes the retry, when it
    // was due (the upstream's Retry-After included), if that is before its own deadline.
    const retryAt = retryCutShortAt(error);
    if (retryAt !== undefined && !call.signal.aborted && retryAt < call.deadlineAt) {
      await until(retryAt, call.signal);
      return send();
    }
    throw error;
  }
  // This caller left meanwhile: its own call fails at once with `aborted`, as an unshared one would.
  return call.signal.aborted ? send() : value;
}

/** Resolves at `epochMs`, or as soon as `signal` aborts (the call then fails at once with `aborted`). */
function until(epochMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, epochMs - Date.now()));
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Failures that belong to the first caller, not to the upstream: its caller left, or its deadline passed. */
function endedByFirstCaller(error: unknown): boolean {
  return isUpstreamError(error) && (error.failure.kind === 'aborted' || error.failure.kind === 'deadline');
}
