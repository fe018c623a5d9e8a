/**
 * The seam between the upstream client and the network. On Node it is undici's `request` over a
 * keep-alive pool per upstream (`undici-transport.ts`); on edge runtimes the platform's `fetch`
 * (`fetch-transport.ts`). Both read the body with a cap and never follow redirects.
 */

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface TransportRequest {
  method: HttpMethod;
  /** Absolute URL, already checked to stay under the service's base URL. */
  url: string;
  /** Lower-case header names. Shared between calls: a transport must not change it. */
  headers: Readonly<Record<string, string>>;
  body?: string;
  /** The caller's signal: when it aborts, the attempt ends with `aborted`. */
  signal: AbortSignal;
  /**
   * The attempt ends with `timeout` when it has not ended this many ms after it was sent. Time
   * spent waiting for a free connection in the gateway is not the upstream's, and does not count
   * (where the transport can tell: undici's pool can, `fetch` cannot).
   */
  timeoutMs: number;
  /** The request's deadline (epoch ms): the attempt ends with `deadline` then, sent or not. */
  deadlineAt: number;
  /** Stop reading (and fail with `too-large`) past this many body bytes. */
  maxBodyBytes: number;
}

export interface TransportResponse {
  status: number;
  /** Lower-case header names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Transport failures, each with a stable kind. */
/** `malformed`: what came back was not HTTP, or broke HTTP's framing (undici's parser refused it). */
export type TransportFailureKind = 'refused' | 'reset' | 'malformed' | 'timeout' | 'deadline' | 'too-large' | 'aborted';

const brand = Symbol.for('conflux.TransportError');

export class TransportError extends Error {
  readonly [brand] = true;
  readonly kind: TransportFailureKind;
  /** For `deadline`: how long the request had been sent, unanswered, when the deadline ended it (ms); unset when it was never sent. */
  unansweredMs?: number;
  constructor(kind: TransportFailureKind, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'TransportError';
    this.kind = kind;
  }
}

export function isTransportError(value: unknown): value is TransportError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** The caller left (or its signal was aborted before the attempt began). */
export function abortedByCaller(signal: AbortSignal): TransportError {
  return new TransportError('aborted', 'aborted by the caller', signal.reason);
}

/** The attempt was sent `timeoutMs` ago and has not ended. */
export function timedOut(timeoutMs: number): TransportError {
  return new TransportError('timeout', `no answer within ${timeoutMs} ms`);
}

/** The request's deadline passed before the attempt ended, `unansweredMs` after it was sent (unset: never sent). */
export function deadlinePassed(unansweredMs: number | undefined): TransportError {
  const error = new TransportError('deadline', 'the request deadline passed');
  if (unansweredMs !== undefined) error.unansweredMs = unansweredMs;
  return error;
}

/**
 * Ends a sent attempt at its timeout or at the request's deadline, whichever comes first, or when
 * `signal` aborts, by calling `end` with the failure; the returned function clears both once the
 * attempt has ended. One timer and one listener, both cleared at once: `AbortSignal.timeout` +
 * `AbortSignal.any` would keep a timer and a signal alive for the whole timeout after every call.
 */
export function limitSentAttempt(request: TransportRequest, end: (failure: TransportError) => void): () => void {
  const { signal, timeoutMs } = request;
  if (signal.aborted) {
    end(abortedByCaller(signal));
    return () => undefined;
  }
  const untilDeadline = request.deadlineAt - Date.now();
  const sentAt = Date.now();
  const onAbort = () => {
    clearTimeout(timer);
    end(abortedByCaller(signal));
  };
  const timer = setTimeout(
    () => {
      signal.removeEventListener('abort', onAbort);
      end(untilDeadline < timeoutMs ? deadlinePassed(Date.now() - sentAt) : timedOut(timeoutMs));
    },
    Math.max(0, Math.min(untilDeadline, timeoutMs)),
  );
  signal.addEventListener('abort', onAbort, { once: true });
  return () => {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  };
}

export interface Transport {
  send(request: TransportRequest): Promise<TransportResponse>;
  /**
   * Ends every attempt in flight with `deadline`, and every later one at once: the gateway is
   * stopping and answers what it has before it exits. Node only; edge runtimes do not stop so.
   */
  endInFlight?(): void;
  /** Aborts once `endInFlight` has been called: a retry waiting for its next attempt stops waiting. */
  readonly ending?: AbortSignal;
  /** Closes pooled connections. */
  close(): Promise<void>;
}
