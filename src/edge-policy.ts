/**
 * What crosses the edge in each direction: which caller headers reach upstreams, which browser
 * origins may call (CORS), and which headers prove a request was not a cross-site form post
 * (CSRF). Upstream response headers never reach the caller at all: resolvers return data only.
 */
import { useCORS } from '@whatwg-node/server';
import type { CORSOptions, Plugin } from 'graphql-yoga';
import { isSaneIdempotencyKey } from './upstream/client.js';

/** Caller headers passed on to upstreams (the request id and `Idempotency-Key` are set apart). */
export const forwardedHeaders = ['authorization', 'accept-language', 'traceparent'] as const;

/** Headers that mark a request as not a simple cross-site one; yoga's own name and Apollo's. */
export const csrfHeaders = ['x-graphql-csrf', 'x-graphql-yoga-csrf', 'apollo-require-preflight', 'x-apollo-operation-name'] as const;

/**
 * The longest `Authorization` value read, in characters: accepted as a credential, forwarded to
 * upstreams and counted as a rate-limit identity alike (a JWT is often longer than 1 KB).
 */
export const maxCredentialLength = 4096;

/** Printable ASCII (and tab); at most 1024 characters, or `maxCredentialLength` for the credential. */
const saneHeaderValue = /^[\t\x20-\x7e]+$/;

function isSaneHeaderValue(name: string, value: string): boolean {
  return value.length <= (name === 'authorization' ? maxCredentialLength : 1024) && saneHeaderValue.test(value);
}

/** Header names the caller declared hop-by-hop in `Connection`: never forwarded, even if allowlisted. */
function hopByHop(headers: Headers): Set<string> {
  const named = (headers.get('connection') ?? '').split(',').map((token) => token.trim().toLowerCase());
  return new Set(named.filter((token) => token !== ''));
}

/**
 * The allowlisted caller headers with a sane value (printable ASCII, at most 1024 characters; the
 * credential up to `maxCredentialLength`), and a `traceparent` only when it is one: W3C Trace
 * Context has a receiver ignore one it cannot parse rather than pass it on.
 */
export function forwardableHeaders(headers: Headers): Record<string, string> {
  const skipped = hopByHop(headers);
  const forwarded: Record<string, string> = {};
  for (const name of forwardedHeaders) {
    const value = headers.get(name);
    if (value === null || skipped.has(name) || !isSaneHeaderValue(name, value)) continue;
    if (name === 'traceparent' && !isTraceparent(value)) continue;
    forwarded[name] = value;
  }
  return forwarded;
}

/** `version-traceid-parentid-flags` in lower-case hex; version `ff` and all-zero ids are invalid; a later version may add `-…` fields. */
const traceparentShape = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;

function isTraceparent(value: string): boolean {
  const match = traceparentShape.exec(value.trim());
  if (match === null) return false;
  const [, version, traceId, parentId, rest] = match;
  if (version === 'ff' || /^0+$/.test(traceId!) || /^0+$/.test(parentId!)) return false;
  return version !== '00' || rest === undefined;
}

/**
 * The caller's `Idempotency-Key` as sent, and the key forwarded on writes: the one sent, when
 * sane and not named in `Connection`. `undefined` when the caller sent none.
 */
export function idempotencyKeyFrom(headers: Headers): { sent: string; forwarded: string | undefined } | undefined {
  const sent = headers.get('idempotency-key');
  if (sent === null) return undefined;
  return { sent, forwarded: isSaneIdempotencyKey(sent) && !hopByHop(headers).has('idempotency-key') ? sent : undefined };
}

/**
 * yoga's `cors` option: off (no CORS headers) without an allowlist, since yoga's default echoes
 * any origin with credentials; with one, only a listed origin gets CORS headers.
 */
export function corsFor(origins: readonly string[]): false | ((request: Request) => CORSOptions) {
  if (origins.length === 0) return false;
  const allowed = new Set(origins);
  return (request) => {
    const origin = request.headers.get('origin');
    if (origin === null || !allowed.has(origin)) return false;
    return {
      origin: [origin],
      credentials: true,
      methods: ['GET', 'POST'],
      allowedHeaders: ['authorization', 'content-type', 'accept', 'accept-language', 'idempotency-key', 'traceparent', 'x-request-id', ...csrfHeaders],
      exposedHeaders: ['x-request-id', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'],
      maxAge: 600,
    };
  };
}

/**
 * CORS with an allowlist, answered where GraphQL is served. Plugged in by the gateway rather than
 * through yoga's `cors` option, whose plugin runs before any other and answers every `OPTIONS`
 * with 204, at any path and preflight or not: `/health` and unknown paths then said 204 where
 * they say 405 and 404 without an allowlist. Here a preflight (`OPTIONS` with `Origin` and
 * `Access-Control-Request-Method`) to the GraphQL endpoint gets CORS's answer, and any other
 * `OPTIONS` goes on to the checks that answer it as they would without CORS. Every answer still
 * gets CORS headers for a listed origin.
 */
export function useCorsWhereGraphQL(origins: readonly string[]): Plugin {
  const cors = useCORS(corsFor(origins));
  return {
    onRequest(payload) {
      const { request, url } = payload;
      if (request.method !== 'OPTIONS' || !graphqlPath.test(url.pathname)) return;
      if (!request.headers.has('origin') || !request.headers.has('access-control-request-method')) return;
      return cors.onRequest?.(payload as never);
    },
    onResponse: cors.onResponse as Plugin['onResponse'],
  };
}

/** Where graphql-yoga serves GraphQL: any path ending in `/graphql`, with or without a slash. */
const graphqlPath = /\/graphql\/?$/;

/**
 * With an allowlist every answer depends on the caller's `Origin` (CORS headers or none), so
 * every answer says so: a shared cache must not hand one origin's answer to another. yoga adds
 * `Vary: Origin` only when it picks among several allowed origins itself.
 */
export function useVaryOnOrigin(): Plugin {
  return {
    onResponse({ response }) {
      const vary = response.headers.get('vary');
      if (vary === null) response.headers.set('vary', 'Origin');
      else if (!/(?:^|,)\s*origin\s*(?:,|$)/i.test(vary)) response.headers.set('vary', `${vary}, Origin`);
    },
  };
}
