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
  constructor(kind: TransportFailureKind, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'TransportError';
    this.kind = kind;
  }
}

export function isTransportError(value: unknown): value is TransportError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/**
 * Ends a sent attempt at its timeout or at the request's deadline, whichever comes first, or when
 * `signal` aborts, by calling `end` with the failure; the returned function clears both once the
 * attempt has ended. One timer and one listener, both cleared at once: `AbortSignal.timeout` +
 * `AbortSignal.any` would keep a timer and a signal alive for the whole timeout after every call.
 */
export function limitSentAttempt(request: TransportRequest, end: (failure: TransportError) => void): () => void {
  const untilDeadline = request.deadlineAt - Date.now();
  return untilDeadline < request.timeoutMs ? limitAttempt(request.signal, untilDeadline, 'deadline', end) : limitAttempt(request.signal, request.timeoutMs, 'timeout', end);
}

/** Ends an attempt after `ms` with `kind`, or when `signal` aborts; see `limitSentAttempt`. */
function limitAttempt(signal: AbortSignal, ms: number, kind: 'timeout' | 'deadline', end: (failure: TransportError) => void): () => void {
  if (signal.aborted) {
    end(new TransportError('aborted', 'aborted by the caller', signal.reason));
    return () => undefined;
  }
  const onAbort = () => {
    clearTimeout(timer);
    end(new TransportError('aborted', 'aborted by the caller', signal.reason));
  };
  const timer = setTimeout(() => {
    signal.removeEventListener('abort', onAbort);
    end(new TransportError(kind, kind === 'timeout' ? `no answer within ${ms} ms` : 'the request deadline passed'));
  }, Math.max(0, ms));
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
  /** Closes pooled connections. */
  close(): Promise<void>;
}
