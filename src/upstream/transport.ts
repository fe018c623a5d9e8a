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
  /** Aborts the attempt: its `reason` tells a timeout (`TimeoutError`) from a caller abort. */
  signal: AbortSignal;
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
export type TransportFailureKind = 'refused' | 'reset' | 'timeout' | 'too-large' | 'aborted';

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

export interface Transport {
  send(request: TransportRequest): Promise<TransportResponse>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}
