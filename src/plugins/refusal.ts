/**
 * The answer to a request refused before graphql-yoga reads it: one contract error, no data,
 * the request id in the body and the header. Plugins that end a request early (a missing
 * credential, an `Accept` nothing can answer) answer with it, made with the server's own
 * `Response` (yoga's `fetchAPI`): on Node that one gives the status line its reason phrase
 * (`401 Unauthorized`), where the global `Response` leaves it empty (`401 `).
 */
import { statusOfCode, type ErrorCode } from '../errors/codes.js';
import { requestIdFor } from './use-request-id.js';

/** The `Response` class to answer with: yoga's `fetchAPI`, as every plugin hook is handed it. */
export interface ResponseMaker {
  Response: typeof Response;
}

export interface RefusalOptions {
  /** The HTTP status. */
  status: number;
  /** The body's media type. @default 'application/json' */
  mediaType?: string;
  /** More response headers. @default none */
  headers?: Readonly<Record<string, string>>;
}

/** A refusal's body: one contract error with its request id, no data. Also written by the Node server for what it answers itself. */
export function refusalBody(code: ErrorCode, message: string, requestId: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code, status: statusOfCode[code], requestId } }] });
}

export function refusal(fetchAPI: ResponseMaker, request: Request, code: ErrorCode, message: string, options: RefusalOptions): Response {
  const requestId = requestIdFor(request);
  return new fetchAPI.Response(refusalBody(code, message, requestId), {
    status: options.status,
    headers: { 'content-type': `${options.mediaType ?? 'application/json'}; charset=utf-8`, 'x-request-id': requestId, ...options.headers },
  });
}
