import { CombinedGraphQLErrors, CombinedProtocolErrors, ServerError as ApolloServerError, ServerParseError } from '@apollo/client/errors';
import { describe, expect, it } from 'vitest';
import {
  AuthError,
  ConflictError,
  ConfluxError,
  ConnectionError,
  NotFoundError,
  QuotaError,
  RateLimitError,
  ScopeError,
  ServerError,
  ValidationError,
  errorClassOfCode,
  toConfluxError,
  toConfluxErrors,
} from '../../src/client/index.js';
import { errorCodes } from '../../src/errors/codes.js';
import { startTestServer } from '../support/http-server.js';

const graphQLError = (code: string, more: Record<string, unknown> = {}) => ({
  message: `failed with ${code}`,
  path: ['project', 'owner'],
  extensions: { code, status: 400, requestId: 'req-1', ...more },
});

describe('toConfluxError', () => {
  it.each([
    ['UNAUTHENTICATED', AuthError],
    ['FORBIDDEN', ScopeError],
    ['NOT_FOUND', NotFoundError],
    ['VALIDATION_ERROR', ValidationError],
    ['PAYLOAD_TOO_LARGE', ValidationError],
    ['UNSUPPORTED_MEDIA_TYPE', ValidationError],
    ['RATE_LIMITED', RateLimitError],
    ['QUOTA_EXCEEDED', QuotaError],
    ['CONFLICT', ConflictError],
    ['UPSTREAM_ERROR', ServerError],
    ['BAD_GATEWAY', ServerError],
    ['SERVICE_UNAVAILABLE', ServerError],
    ['GATEWAY_TIMEOUT', ServerError],
    ['INTERNAL_SERVER_ERROR', ServerError],
  ])('maps a GraphQL error with %s to %s', (code, ErrorClass) => {
    const error = toConfluxError(graphQLError(code));
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toBeInstanceOf(ConfluxError);
    expect(error.name).toBe(ErrorClass.name);
    expect(error).toMatchObject({ code, message: `failed with ${code}`, path: ['project', 'owner'], requestId: 'req-1' });
  });

  it('has a class for every code the gateway sends, and no other', () => {
    expect(Object.keys(errorClassOfCode).sort()).toEqual([...errorCodes].sort());
  });

  it('keeps upstream, details and retryAfter, and drops malformed ones', () => {
    const error = toConfluxError(
      graphQLError('RATE_LIMITED', { retryAfter: 12, upstream: { service: 'workspaces', status: 429, code: 'THROTTLED', title: 7 }, details: { limit: 3 } }),
    );
    expect(error).toMatchObject({ retryAfter: 12, details: { limit: 3 } });
    expect(error.upstream).toEqual({ service: 'workspaces', status: 429, code: 'THROTTLED' });
    const odd = toConfluxError(graphQLError('RATE_LIMITED', { retryAfter: '12', upstream: 'workspaces', details: [1] }));
    expect(odd).toMatchObject({ retryAfter: undefined, upstream: undefined, details: undefined });
  });

  it('gives a plain ConfluxError for a code it does not know, or none', () => {
    const foreign = toConfluxError({ message: 'nope', extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    expect(foreign.constructor).toBe(ConfluxError);
    expect(foreign.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(toConfluxError({ message: 'bare', path: ['x'] }).code).toBe('UNKNOWN');
    expect(toConfluxError(new RangeError('a bug in a link')).code).toBe('UNKNOWN');
  });

  it('keeps the message of a GraphQL error that has nothing but one', () => {
    expect(toConfluxError({ message: 'hello' })).toMatchObject({ code: 'UNKNOWN', message: 'hello', path: [] });
  });

  it("maps a subscription's CombinedProtocolErrors entry by entry", () => {
    const protocol = new CombinedProtocolErrors([{ message: 'gone', extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 3 } }]);
    expect(toConfluxErrors(protocol)).toEqual([expect.any(ServerError)]);
    expect(toConfluxError(protocol)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'gone', retryAfter: 3 });
  });

  it('holds a retryAfter in extensions to a year, as a Retry-After header is', () => {
    expect(toConfluxError(graphQLError('RATE_LIMITED', { retryAfter: 1e21 })).retryAfter).toBe(365 * 24 * 60 * 60);
  });

  it('maps every error of a CombinedGraphQLErrors, the first one alone by default', () => {
    const combined = new CombinedGraphQLErrors({ data: { a: null, b: null }, errors: [graphQLError('NOT_FOUND'), graphQLError('CONFLICT')] });
    expect(toConfluxErrors(combined).map((error) => error.constructor)).toEqual([NotFoundError, ConflictError]);
    expect(toConfluxError(combined)).toBeInstanceOf(NotFoundError);
    expect(toConfluxError(combined).cause).toBe(combined);
  });

  it('maps an HTTP error without a GraphQL body by its status and headers', () => {
    const response = new Response('<html>slow down</html>', { status: 429, headers: { 'retry-after': '9', 'x-request-id': 'edge-1' } });
    const error = toConfluxError(new ApolloServerError('Response not successful', { response, bodyText: '<html>slow down</html>' }));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfter: 9, requestId: 'edge-1' });
    const bad = new Response('<html>bad gateway</html>', { status: 502 });
    expect(toConfluxError(new ApolloServerError('x', { response: bad, bodyText: '<html>' }))).toMatchObject({ code: 'BAD_GATEWAY' });
  });

  it('reads the GraphQL errors an HTTP error carries as application/json', () => {
    const body = JSON.stringify({ errors: [{ message: 'Missing credentials', extensions: { code: 'UNAUTHENTICATED', status: 401 } }] });
    const response = new Response(body, { status: 401, headers: { 'content-type': 'application/json', 'x-request-id': 'r-7' } });
    const error = toConfluxError(new ApolloServerError('x', { response, bodyText: body }));
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ message: 'Missing credentials', requestId: 'r-7', path: [] });
  });

  it('maps a 2xx body that is not JSON to a BAD_GATEWAY ServerError', () => {
    const response = new Response('<html>captive portal</html>', { status: 200 });
    const error = toConfluxError(new ServerParseError(new SyntaxError('Unexpected token <'), { response, bodyText: '<html>' }));
    expect(error).toBeInstanceOf(ServerError);
    expect(error.code).toBe('BAD_GATEWAY');
  });

  it('maps a fetch that got no response, or was aborted, to a ConnectionError', () => {
    expect(toConfluxError(new TypeError('fetch failed'))).toBeInstanceOf(ConnectionError);
    expect(toConfluxError(new TypeError('Failed to fetch'))).toBeInstanceOf(ConnectionError);
    expect(toConfluxError(new DOMException('The operation timed out.', 'TimeoutError'))).toMatchObject({ code: 'CONNECTION_ERROR' });
  });

  it('tells a body cut off by the connection (a ConnectionError) from a body that does not decode (not one), from real answers', async () => {
    const server = await startTestServer((request, response, socket) => {
      if (request.url === '/cut') {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        response.write('{"data":');
        return void setTimeout(() => socket.destroy(), 20);
      }
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      response.end('{"data":{"ok":true}}');
    });
    try {
      const failureOf = async (path: string) => (await fetch(`${server.url}${path}`)).text().then(() => undefined, (error: unknown) => error);
      expect(toConfluxError(await failureOf('/cut'))).toBeInstanceOf(ConnectionError);
      const undecodable = toConfluxError(await failureOf('/mislabelled'));
      expect(undecodable).not.toBeInstanceOf(ConnectionError);
      expect(undecodable.code).toBe('UNKNOWN');
    } finally {
      await server.close();
    }
  });

  it('does not call any other TypeError a connection failure: that is a bug', () => {
    const bug = toConfluxError(new TypeError("Cannot read properties of null (reading 'data')"));
    expect(bug).not.toBeInstanceOf(ConnectionError);
    expect(bug.code).toBe('UNKNOWN');
  });

  it('maps an errors entry that is not an object without throwing', () => {
    const combined = new CombinedGraphQLErrors({ data: { user: null }, errors: [null, graphQLError('NOT_FOUND')] as never });
    expect(toConfluxErrors(combined).map((error) => error.code)).toEqual(['UNKNOWN', 'NOT_FOUND']);
  });

  it.each([
    [408, 'GATEWAY_TIMEOUT', ServerError],
    [410, 'NOT_FOUND', NotFoundError],
    [418, 'VALIDATION_ERROR', ValidationError],
    [500, 'UPSTREAM_ERROR', ServerError],
    [501, 'UPSTREAM_ERROR', ServerError],
    [505, 'UPSTREAM_ERROR', ServerError],
  ])('maps a bodiless HTTP %i by the contract status table to %s', (status, code, type) => {
    const response = new Response('<html>no</html>', { status });
    const error = toConfluxError(new ApolloServerError('x', { response, bodyText: '<html>no</html>' }));
    expect(error).toBeInstanceOf(type);
    expect(error.code).toBe(code);
  });

  it.each([
    ['12', 12],
    ['1.5', 2],
    // As the gateway reads an upstream's: HTTP allows neither, but the meaning is plain.
    ['-5', 0],
    ['5, 7', 5],
    ['99999999999999999999999', 365 * 24 * 60 * 60],
    ['12 seconds', undefined],
    ['soon', undefined],
    // `Date.parse` takes these for a day in 2001: only HTTP's three date forms are dates.
    ['later 5', undefined],
    ['Mon 2', undefined],
    ['2030-01-01T00:00:00Z', undefined],
    ['Mon, 01 Jan 2001 00:00:00 GMT', 0],
  ])('reads Retry-After %j as %s seconds', (value, seconds) => {
    const response = new Response('', { status: 429, headers: { 'retry-after': value } });
    expect(toConfluxError(new ApolloServerError('x', { response, bodyText: '' })).retryAfter).toBe(seconds);
  });

  it('finds no errors in a result without one', () => {
    expect(toConfluxErrors(undefined)).toEqual([]);
  });

  it('returns a ConfluxError as it is', () => {
    const error = new ScopeError({ code: 'FORBIDDEN', message: 'no' });
    expect(toConfluxError(error)).toBe(error);
  });
});
