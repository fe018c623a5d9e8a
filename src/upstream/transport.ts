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
  /** The attempt ends with `timeout` when it has not ended this many ms after it was sent. */
  timeoutMs: number;
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
export type TransportFailureKind = 'refused' | 'reset' | 'malformed' | 'timeout' | 'too-large' | 'aborted';

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
 * Ends an attempt when `timeoutMs` pass or `signal` aborts, whichever comes first, by calling
 * `end` with the failure; the returned function clears both once the attempt has ended. One timer
 * and one listener per attempt, both cleared at once: `AbortSignal.timeout` + `AbortSignal.any`
 * would keep a timer and a signal alive for the whole timeout after every call.
 */
export function limitAttempt(signal: AbortSignal, timeoutMs: number, end: (failure: TransportError) => void): () => void {
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
    end(new TransportError('timeout', `no answer within ${timeoutMs} ms`));
  }, timeoutMs);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  };
}

export interface Transport {
  send(request: TransportRequest): Promise<TransportResponse>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}
