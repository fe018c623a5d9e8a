/**
 * `REQUIRE_AUTH`: a GraphQL request without a well-formed `Authorization: Bearer <token>` is
 * answered 401 `UNAUTHENTICATED` before its body is read, so no upstream is ever called.
 *
 * The check runs when graphql-yoga starts parsing a GraphQL request, not on the path: yoga
 * serves GraphQL on more paths than `/graphql` (`/graphql/`, and any path that ends with
 * `/graphql`), and a check on the path let those through without a credential. Whatever yoga
 * answers before parsing needs none: the GraphiQL page, CORS preflights, `/health`, `/ready`,
 * `/metrics`, and the 404 for a path it does not serve.
 */
import type { Plugin } from 'graphql-yoga';
import { maxCredentialLength } from '../edge-policy.js';
import { refusal } from './refusal.js';
import { refusalMediaType } from './use-accept-policy.js';

/** `Bearer` (any case) and one RFC 6750 b64token: letters, digits, `-._~+/`, then `=` padding. */
const wellFormedBearer = /^Bearer +[A-Za-z0-9\-._~+/]+=*$/i;

export function isWellFormedBearer(value: string | null): boolean {
  return value !== null && value.length <= maxCredentialLength && wellFormedBearer.test(value);
}

export function useRequireAuth(): Plugin {
  return {
    onRequestParse({ request, endResponse, fetchAPI }) {
      if (isWellFormedBearer(request.headers.get('authorization'))) return;
      const mediaType = refusalMediaType(request.headers.get('accept'));
      endResponse(refusal(fetchAPI, request, 'UNAUTHENTICATED', 'Missing or malformed credentials: send Authorization: Bearer <key>.', { status: 401, mediaType, headers: { 'www-authenticate': 'Bearer' } }));
    },
  };
}
