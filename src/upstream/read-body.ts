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

/** The decoder for upstream bodies that name no charset (invalid UTF-8 becomes U+FFFD, a byte-order mark is skipped). */
const utf8 = new TextDecoder();

/** Decoders for other charsets by label, made once each; only labels the runtime knows are kept. */
const decoders = new Map<string, TextDecoder>();

const charsetParameter = /;\s*charset\s*=\s*"?([^";\s]+)/i;

/**
 * A body's text in the charset its `Content-Type` names: JSON is UTF-8 by its RFC, but an older
 * service may still send `charset=ISO-8859-1`, and read as UTF-8 its accented letters came out
 * as U+FFFD. UTF-8 when no charset is named, or one the runtime does not know.
 */
export function bodyText(body: Uint8Array, contentType: string | undefined): string {
  const label = contentType === undefined ? undefined : charsetParameter.exec(contentType)?.[1]?.toLowerCase();
  if (label === undefined || label === 'utf-8' || label === 'utf8') return utf8.decode(body);
  let decoder = decoders.get(label);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(label);
    } catch {
      return utf8.decode(body); // a label the runtime does not know
    }
    decoders.set(label, decoder);
  }
  const text = decoder.decode(body);
  return decoder.encoding === 'windows-1252' ? windows1252(text) : text;
}

/**
 * windows-1252's letters at 0x80–0x9F (`€`, `“`, `™` …). Node 20's decoder for it (which every
 * Latin-1 label names, `iso-8859-1` included, as the WHATWG Encoding standard says) gives the C1
 * controls of Latin-1 there instead; a runtime that decodes them right leaves none to map.
 */
const windows1252High = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

function windows1252(text: string): string {
  return /[\x80-\x9f]/.test(text) ? text.replace(/[\x80-\x9f]/g, (c1) => windows1252High[c1.charCodeAt(0) - 0x80]!) : text;
}

/** The failure of a body that went past `maxBytes`, however it was read. */
export function bodyTooLarge(maxBytes: number): TransportError {
  return new TransportError('too-large', `body over ${maxBytes} bytes`);
}

/** An error and its causes, four deep: network errors come wrapped (`fetch failed` ← `other side closed`). */
function causesOf(error: unknown): Array<{ code?: unknown; name?: unknown; message?: unknown }> {
  const chain: Array<{ code?: unknown; name?: unknown; message?: unknown; cause?: unknown }> = [];
  for (let current = error as { cause?: unknown } | null | undefined; current && chain.length < 4; current = current.cause as typeof current) chain.push(current);
  return chain;
}

/** Whether `code` is on the error or one of its causes. */
export function hasCauseCode(error: unknown, code: string): boolean {
  return causesOf(error).some((cause) => cause.code === code);
}

const refusedCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Maps a low-level network error to a transport failure; an aborted signal wins over the error
 * itself. An answer undici's HTTP parser refused (its codes start `HPE_`) is `malformed`, and so
 * is a 101 Switching Protocols to a request that asked for no upgrade (undici: `bad upgrade`) and
 * an answer undici will not take (`bad response`): a `100 Continue` nobody asked for (undici
 * closes the connection there, so the final answer behind it is never read), or bytes on a
 * connection with no request waiting, and headers larger than the HTTP client reads (16 KiB by
 * default, `UND_ERR_HEADERS_OVERFLOW`). The upstream was reached; what it said was unusable.
 */
export function transportErrorFrom(error: unknown, signal: AbortSignal): TransportError {
  if (error instanceof TransportError) return error;
  if (signal.aborted) return new TransportError('aborted', 'aborted', signal.reason);
  let code: unknown;
  for (const { code: own, name, message } of causesOf(error)) {
    code = own ?? code;
    if (typeof code === 'string' && refusedCodes.has(code)) return new TransportError('refused', code, error);
    // undici's parser asserts a status of at least 100 (`HTTP/1.1 000`): that one failed
    // assertion is an answer that is not HTTP. Any other stays a gateway-side failure.
    const badStatus = code === 'ERR_ASSERTION' && typeof message === 'string' && message.includes('statusCode');
    if ((typeof code === 'string' && code.startsWith('HPE_')) || name === 'HTTPParserError' || code === 'UND_ERR_HEADERS_OVERFLOW' || badStatus || (code === 'UND_ERR_SOCKET' && (message === 'bad upgrade' || message === 'bad response'))) {
      return new TransportError('malformed', typeof code === 'string' ? code : 'not HTTP', error);
    }
  }
  return new TransportError('reset', typeof code === 'string' ? code : 'connection failed', error);
}

/**
 * Whether reading a body failed because its `Content-Encoding` did not decode (fetch in workerd:
 * `Gzip decompression failed.`, or `Gzip compressed stream ended prematurely.` for a stream cut
 * short inside a whole HTTP answer; on Node, zlib's `Z_DATA_ERROR` or `Z_BUF_ERROR`, or a brotli
 * format error, under `terminated`), not because the connection broke.
 */
export function isUndecodable(error: unknown): boolean {
  return causesOf(error).some(
    ({ code, message }) =>
      (typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR__ERROR_FORMAT') || code.startsWith('ERR_BROTLI'))) ||
      (typeof message === 'string' && /decompression failed|compressed stream ended prematurely/i.test(message)),
  );
}

/**
 * Whether undici refused to send the request as built (a header value it cannot write, say).
 * That is the gateway's own bug, not the upstream's failure: it must not count against the
 * service's circuit, nor be retried.
 */
export function isRequestRefusedByClient(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'UND_ERR_INVALID_ARG';
}
