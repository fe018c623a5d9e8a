/**
 * `REQUIRE_AUTH`: a GraphQL request without a well-formed `Authorization: Bearer <token>` is
 * answered 401 `UNAUTHENTICATED` before anything else runs, so no upstream is ever called.
 * The GraphiQL page itself (a GET asking for HTML) and CORS preflights need no credential.
 */
import type { Plugin } from 'graphql-yoga';
import { maxCredentialLength } from '../edge-policy.js';
import { statusOfCode } from '../errors/codes.js';
import { requestIdFor } from './use-request-id.js';

/** `Bearer` and a token of visible ASCII, RFC 6750's b64token and a little more. */
const wellFormedBearer = /^Bearer +[A-Za-z0-9\-._~+/]+=*$/i;

export function isWellFormedBearer(value: string | null): boolean {
  return value !== null && value.length <= maxCredentialLength && wellFormedBearer.test(value);
}

export interface RequireAuthOptions {
  /** The GraphQL endpoint's path. @default '/graphql' */
  graphqlEndpoint?: string;
}

export function useRequireAuth(options: RequireAuthOptions = {}): Plugin {
  const endpoint = options.graphqlEndpoint ?? '/graphql';
  return {
    onRequest({ request, url, endResponse }) {
      if (url.pathname !== endpoint || request.method === 'OPTIONS') return;
      if (request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html')) return;
      if (isWellFormedBearer(request.headers.get('authorization'))) return;
      const requestId = requestIdFor(request);
      const accept = request.headers.get('accept') ?? '';
      const contentType = accept.includes('application/graphql-response+json') ? 'application/graphql-response+json' : 'application/json';
      const body = {
        errors: [
          {
            message: 'Missing or malformed credentials: send Authorization: Bearer <key>.',
            extensions: { code: 'UNAUTHENTICATED', status: statusOfCode.UNAUTHENTICATED, requestId },
          },
        ],
      };
      endResponse(
        new Response(JSON.stringify(body), {
          status: 401,
          headers: { 'content-type': `${contentType}; charset=utf-8`, 'www-authenticate': 'Bearer', 'x-request-id': requestId },
        }),
      );
    },
  };
}
