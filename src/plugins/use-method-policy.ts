/**
 * GraphQL is served over `GET` and `POST` only: any other method gets 405 with `Allow`, before
 * every other check of the request (credentials, `Accept`, CSRF), in JSON whatever else it
 * accepts: as `application/graphql-response+json` where every other answer would be. graphql-yoga makes the same check, but after every plugin's own
 * `onRequestParse`, so a `DELETE`, `HEAD` or `OPTIONS` without a JSON body was refused by the
 * CSRF check instead, 403 "Required CSRF header(s) not present", which sends the caller after
 * the wrong fix. CORS preflights are answered before this runs.
 */
import type { Plugin } from 'graphql-yoga';
import { refusal } from './refusal.js';
import { refusalMediaType } from './use-accept-policy.js';

export function useMethodPolicy(): Plugin {
  return {
    onRequestParse({ request, endResponse, fetchAPI }) {
      const { method } = request;
      if (method === 'GET' || method === 'POST') return;
      const mediaType = refusalMediaType(request.headers.get('accept'));
      endResponse(refusal(fetchAPI, request, 'VALIDATION_ERROR', 'GraphQL only supports GET and POST requests.', { status: 405, mediaType, headers: { allow: 'GET, POST' } }));
    },
  };
}
