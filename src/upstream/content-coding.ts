/**
 * Bodies sent with a `Content-Encoding`. The gateway asks for none (it sends no
 * `Accept-Encoding` from Node), but some servers and proxies compress whatever they are asked,
 * and an edge runtime's `fetch` asks and decodes on its own: the Node transport decodes what it
 * is sent too (gzip, x-gzip, deflate, br and lists of them; workerd's `fetch` decodes gzip and
 * br only). The cap applies to the
 * decoded body: a small body that inflates past it fails with `too-large` (a decompression bomb
 * is never held whole). A coding it does not know leaves the body as sent, as `fetch` does. Data
 * that does not decode is no body at all, as on the edge transport (where `fetch` fails to read
 * it): a 2xx then fails as not JSON (`BAD_GATEWAY`), plain JSON mislabelled `gzip` included, and
 * an error status keeps the code its status gives.
 */
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, inflateRaw, type ZlibOptions } from 'node:zlib';
import { bodyTooLarge } from './read-body.js';

type Decoder = (body: Uint8Array, options: ZlibOptions) => Promise<Buffer>;

const gunzipAsync = promisify(gunzip) as Decoder;
const inflateAsync = promisify(inflate) as Decoder;
const inflateRawAsync = promisify(inflateRaw) as Decoder;
const brotliAsync = promisify(brotliDecompress) as Decoder;

const decoders: Readonly<Record<string, Decoder>> = {
  gzip: gunzipAsync,
  'x-gzip': gunzipAsync,
  br: brotliAsync,
  // `deflate` is zlib-wrapped by the standard, and sent raw by some servers: both are read (a
  // body past the cap is past it either way).
  deflate: (body, options) => inflateAsync(body, options).catch((error: unknown) => (tooLarge(error) ? Promise.reject(error) : inflateRawAsync(body, options))),
};

const tooLarge = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE';

/** The codings of a `Content-Encoding` value, in the order they were applied; `identity` dropped. */
function contentCodings(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
}

/**
 * `body` decoded from the codings its `Content-Encoding` names (last applied, first undone);
 * `undefined` when there is nothing to decode (the caller keeps the body as sent), an empty body
 * when the data does not decode. Rejects with a `too-large` transport failure past `maxBytes`
 * decoded bytes.
 */
export async function decodedBody(body: Uint8Array, header: string | undefined, maxBytes: number): Promise<Uint8Array | undefined> {
  const codings = contentCodings(header);
  if (codings.length === 0 || body.byteLength === 0 || !codings.every((coding) => coding in decoders)) return undefined;
  let decoded = body;
  for (const coding of codings.reverse()) {
    try {
      decoded = await decoders[coding]!(decoded, { maxOutputLength: maxBytes });
    } catch (error) {
      if (tooLarge(error)) throw bodyTooLarge(maxBytes);
      return new Uint8Array(0);
    }
  }
  return decoded;
}
