/**
 * Gives every request one id: the caller's `x-request-id` when it is sane (at most 128
 * characters of `[A-Za-z0-9._-]`), else a new UUID. The id goes back on every response and to
 * every upstream call of the request.
 */
import type { Plugin } from 'graphql-yoga';

const saneRequestId = /^[A-Za-z0-9._-]{1,128}$/;
const ids = new WeakMap<Request, string>();

/** The request's id, made on first use. */
export function requestIdFor(request: Request): string {
  let id = ids.get(request);
  if (id === undefined) {
    const sent = request.headers.get('x-request-id');
    id = sent !== null && saneRequestId.test(sent) ? sent : crypto.randomUUID();
    ids.set(request, id);
  }
  return id;
}

export function useRequestId(): Plugin {
  return {
    onRequest({ request }) {
      requestIdFor(request);
    },
    onResponse({ request, response }) {
      response.headers.set('x-request-id', requestIdFor(request));
    },
  };
}
