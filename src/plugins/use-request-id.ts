/**
 * Gives every request one id: the caller's `x-request-id` when it is sane (at most 128
 * characters of `[A-Za-z0-9._-]`) and not named in `Connection`, else a new UUID. The id goes back on every response and to
 * every upstream call of the request.
 */
import type { Plugin } from 'graphql-yoga';

const saneRequestId = /^[A-Za-z0-9._-]{1,128}$/;
const ids = new WeakMap<Request, string>();
// The same ids by the server's own request object (Node's `IncomingMessage`), for what answers
// a request outside yoga: a 408 written on the socket when the body arrives too slowly.
const idsOfServerRequests = new WeakMap<object, string>();

/**
 * Whether the caller named `x-request-id` in `Connection`: meant for one hop, so neither used nor
 * forwarded. Read here, not through `edge-policy.ts`: the edge entry loads this module at start,
 * and edge-policy's imports reach cockatiel, which workerd refuses at module scope.
 */
function namedInConnection(connection: string | null | undefined): boolean {
  return typeof connection === 'string' && connection.split(',').some((token) => token.trim().toLowerCase() === 'x-request-id');
}

/** The id for a request with these `x-request-id` and `Connection` values: the caller's when sane and not hop-by-hop, else a new one. */
export function requestIdFromHeaderValues(sent: string | null | undefined, connection: string | null | undefined): string {
  return typeof sent === 'string' && saneRequestId.test(sent) && !namedInConnection(connection) ? sent : crypto.randomUUID();
}

/** The request's id, made on first use. */
export function requestIdFor(request: Request): string {
  let id = ids.get(request);
  if (id === undefined) {
    id = requestIdFromHeaderValues(request.headers.get('x-request-id'), request.headers.get('connection'));
    ids.set(request, id);
  }
  return id;
}

/** The server's own object for a request (Node's `IncomingMessage`), from yoga's server context; none on the edge. */
export function serverRequestOf(serverContext: unknown): object | undefined {
  const serverRequest = (serverContext as { req?: unknown } | undefined)?.req;
  return typeof serverRequest === 'object' && serverRequest !== null ? serverRequest : undefined;
}

/** The id given to the request whose server-side object (Node's `IncomingMessage`) is `serverRequest`, once yoga has seen it. */
export function requestIdOfServerRequest(serverRequest: object): string | undefined {
  return idsOfServerRequests.get(serverRequest);
}

export function useRequestId(): Plugin {
  return {
    onRequest({ request, serverContext }) {
      const id = requestIdFor(request);
      const serverRequest = serverRequestOf(serverContext);
      if (serverRequest !== undefined) idsOfServerRequests.set(serverRequest, id);
    },
    onResponse({ request, response }) {
      response.headers.set('x-request-id', requestIdFor(request));
    },
  };
}
