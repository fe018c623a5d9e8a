/**
 * GraphQL is served over `GET` and `POST` only: any other method gets 405 with `Allow`, before
 * the CSRF check. graphql-yoga makes the same check, but after every plugin's own
 * `onRequestParse`, so a `DELETE`, `HEAD` or `OPTIONS` without a JSON body was refused by the
 * CSRF check instead, 403 "Required CSRF header(s) not present", which sends the caller after
 * the wrong fix. CORS preflights are answered before this runs.
 */
import { createGraphQLError, type Plugin } from 'graphql-yoga';

export function useMethodPolicy(): Plugin {
  return {
    onRequestParse({ request }) {
      const { method } = request;
      if (method === 'GET' || method === 'POST') return;
      throw createGraphQLError('GraphQL only supports GET and POST requests.', { extensions: { http: { status: 405, headers: { Allow: 'GET, POST' } } } });
    },
  };
}
