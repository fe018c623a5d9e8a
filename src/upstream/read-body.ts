import { TransportError } from './transport.js';

/**
 * Reads a stream of chunks into one buffer, failing with `too-large` as soon as more than
 * `maxBytes` arrived (the rest is never buffered). `cancel` stops the source.
 */
export async function readCapped(chunks: AsyncIterable<Uint8Array>, maxBytes: number, cancel: () => void): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      cancel();
      throw bodyTooLarge(maxBytes);
    }
    parts.push(chunk);
  }
  if (parts.length === 1) return parts[0]!;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    body.set(part, offset);
    offset += part.byteLength;
  }
  return body;
}

/** The failure of a body that went past `maxBytes`, however it was read. */
export function bodyTooLarge(maxBytes: number): TransportError {
  return new TransportError('too-large', `body over ${maxBytes} bytes`);
}

const refusedCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** Maps a low-level network error to a transport failure; an aborted signal wins over the error itself. */
export function transportErrorFrom(error: unknown, signal: AbortSignal): TransportError {
  if (error instanceof TransportError) return error;
  if (signal.aborted) return new TransportError('aborted', 'aborted', signal.reason);
  let code: unknown;
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    code = (current as { code?: unknown }).code ?? code;
    if (typeof code === 'string' && refusedCodes.has(code)) return new TransportError('refused', code, error);
    current = (current as { cause?: unknown }).cause;
  }
  return new TransportError('reset', typeof code === 'string' ? code : 'connection failed', error);
}
