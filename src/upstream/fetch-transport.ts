/**
 * The edge transport: the platform's `fetch`, with `redirect: 'manual'` so a 3xx is reported,
 * never followed, and the body read through its stream with a cap.
 */
import { hasCauseCode, isUndecodable, readCapped, transportErrorFrom } from './read-body.js';
import { limitSentAttempt, TransportError, type Transport, type TransportRequest, type TransportResponse } from './transport.js';

export interface FetchTransportOptions {
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch;
}

export function createFetchTransport(options: FetchTransportOptions = {}): Transport {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  return {
    async send(request: TransportRequest): Promise<TransportResponse> {
      const controller = new AbortController();
      let ended: TransportError | undefined;
      const stopLimits = limitSentAttempt(request, (failure) => {
        ended = failure;
        controller.abort(failure);
      });
      let response: Response | undefined;
      try {
        response = await doFetch(request.url, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          redirect: 'manual',
          signal: controller.signal,
        });
        const headers: Record<string, string> = {};
        response.headers.forEach((value, name) => {
          headers[name] = value;
        });
        const unusable = framingProblem(response.status, headers);
        if (unusable !== undefined) {
          await response.body?.cancel().catch(() => undefined);
          throw new TransportError('malformed', unusable);
        }
        let body: Uint8Array = new Uint8Array(0);
        try {
          if (response.body) body = await readCapped(streamChunks(response.body), request.maxBodyBytes, () => undefined);
        } catch (error) {
          // A body its Content-Encoding does not describe is no body, as on Node: the status still counts.
          if (ended !== undefined || !isUndecodable(error)) throw error;
        }
        return { status: response.status, headers, body };
      } catch (error) {
        if (ended !== undefined) throw ended;
        // Framing that contradicts itself (two lengths; a length beside chunked encoding, below)
        // is refused before the answer is handed over: unusable, as on the Node transport; a body
        // cut short fails later, while it is read, and stays a reset.
        if (response === undefined && (hasCauseCode(error, 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') || isWorkerdLengthError(error))) throw new TransportError('malformed', 'content-length', error);
        if (isWorkerdProtocolError(error)) throw new TransportError('malformed', 'not HTTP', error);
        throw transportErrorFrom(error, controller.signal);
      } finally {
        stopLimits();
      }
    },
    async close() {},
  };
}

/**
 * Why an answer that `fetch` handed over is not one HTTP can carry, as the Node transport would
 * refuse it: a status below 200 (workerd returns a 101 nobody asked for, or a `100 Continue`
 * with the real answer left in its body, where undici fails the request; and a status under 100
 * as it is), a `Content-Length` beside `Transfer-Encoding` (workerd reads the chunks), or headers
 * past the 16 KiB undici reads (workerd reads more).
 */
function framingProblem(status: number, headers: Readonly<Record<string, string>>): string | undefined {
  if (status < 200) return `status ${status}`;
  if (headers['content-length'] !== undefined && headers['transfer-encoding'] !== undefined) return 'content-length with transfer-encoding';
  if (headerBytes(headers) > maxHeaderBytes) return `headers over ${maxHeaderBytes} bytes`;
  return undefined;
}

/** The most header bytes the Node transport reads: undici's default, Node's `--max-http-header-size`. */
const maxHeaderBytes = 16 * 1024;

/** The size of the header lines as sent (`name: value` and a line end each); characters, which overcounts no byte. */
function headerBytes(headers: Readonly<Record<string, string>>): number {
  let bytes = 0;
  for (const name in headers) bytes += name.length + headers[name]!.length + 4;
  return bytes;
}

/**
 * workerd failing on an answer it cannot parse (a chunk size that is no number, headers past its
 * own limit): an `internal error` with a reference, its cause only in its log. A connection lost
 * is `Network connection lost.` there, a reset as on Node.
 */
function isWorkerdProtocolError(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('internal error; reference = ');
}

/** workerd's fetch refusing two different lengths: `invalid Content-Length header value; cl = 8, 9`. */
function isWorkerdLengthError(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('invalid Content-Length header value');
}

/** Yields a stream's chunks; stopping early (a cap hit) cancels the stream. */
async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
  }
}
