/**
 * The request body cap (`MAX_REQUEST_BODY_BYTES`), enforced while reading. A declared
 * `Content-Length` over the cap is refused at once, and then nothing more is needed: HTTP framing
 * means the server reads exactly that many bytes, never more. Only a body without one (chunked)
 * is counted as it streams, and cut off with 413 the moment it passes the cap.
 *
 * graphql-yoga's own `maxRequestBodySize` re-streams every body through a `TransformStream` and
 * a new `Request`, even when `Content-Length` already bounds it; measured under a
 * `{ __typename }` load that was about a tenth of the gateway's busy CPU, so it is turned off
 * and this plugin takes its place with the same answers.
 */
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

const wholeNumber = /^\d+$/;

function tooLarge(): GraphQLError {
  return new GraphQLError('Request body too large', { extensions: { http: { status: 413 } } });
}

export function useBodyLimit(limitBytes: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (!wholeNumber.test(declared)) throw new GraphQLError('Content-Length header is invalid.', { extensions: { http: { status: 400 } } });
        if (Number(declared) > limitBytes) throw tooLarge();
        return;
      }
      if (requestParser === undefined || request.body === null) return;
      const parse = requestParser;
      setRequestParser((received) => parse(withCountedBody(received, limitBytes, fetchAPI)));
    },
  };
}

function withCountedBody(request: Request, limitBytes: number, fetchAPI: { Request: typeof Request; TransformStream: typeof TransformStream }): Request {
  if (request.body === null) return request;
  // A native stream must go through the native TransformStream, a ponyfilled one through the ponyfill.
  const Transform = request.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  let bytesRead = 0;
  const counted = request.body.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytesRead += chunk.byteLength;
        if (bytesRead > limitBytes) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, { method: request.method, headers: request.headers, signal: request.signal, body: counted, duplex: 'half' } as RequestInit);
}
