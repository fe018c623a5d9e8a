/**
 * A knowledge upstream that compresses whatever it is asked: context `c-1` as gzipped JSON, any
 * id with `c-404` in it as a brotli Problem Details 404 whose detail is `Context c-404 is gone`.
 */
import type { ServerResponse } from 'node:http';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { RecordedRequest } from './http-server.js';

export function answerCompressed(request: RecordedRequest, response: ServerResponse): void {
  if (request.url.includes('c-404')) {
    const problem = { type: 'https://problems.example/not-found', title: 'Not Found', status: 404, detail: 'Context c-404 is gone' };
    response.writeHead(404, { 'content-type': 'application/problem+json', 'content-encoding': 'br' });
    response.end(brotliCompressSync(JSON.stringify(problem)));
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
  response.end(gzipSync(JSON.stringify({ id: 'c-1', name: 'Zipped' })));
}
