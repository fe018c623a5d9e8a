/**
 * Request-level errors (ERRORS.md §5): no data, one code, the HTTP status the GraphQL-over-HTTP
 * specification gives for the media type the client accepts, and no upstream call.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => gateway.stop(0));

const upstreamCalls = () => Object.values(gateway.demo!.services).reduce((sum, service) => sum + service!.requests.length, 0);
let callsBefore = 0;
beforeEach(() => {
  callsBefore = upstreamCalls();
});

async function post(body: string, accept: string, authorization: string | null = 'Bearer demo-admin') {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept };
  if (authorization) headers['authorization'] = authorization;
  const response = await fetch(`${gateway.url}/graphql`, { method: 'POST', headers, body });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}

const graphqlResponse = 'application/graphql-response+json';

describe('request-level errors', () => {
  it.each([
    ['an unparsable document', JSON.stringify({ query: '{ project(id: "p-1") { name ' })],
    ['an unknown field', JSON.stringify({ query: '{ project(id: "p-1") { nope } }' })],
    ['a missing required argument', JSON.stringify({ query: '{ project { name } }' })],
    ['a variable of the wrong type', JSON.stringify({ query: 'query ($id: ID!) { project(id: $id) { name } }', variables: { id: { nested: true } } })],
    ['a missing required variable', JSON.stringify({ query: 'query ($id: ID!) { project(id: $id) { name } }' })],
    ['an enum value that does not exist', JSON.stringify({ query: '{ context(id: "c-1") { knowledge(query: "x", mode: FUZZY) { id } } }' })],
  ])('%s → VALIDATION_ERROR, 400 with graphql-response+json, 200 with application/json', async (_name, body) => {
    for (const [accept, status] of [[graphqlResponse, 400], ['application/json', 200]] as const) {
      const reply = await post(body, accept);
      expect(reply.status).toBe(status);
      expect(reply.body['data']).toBeUndefined();
      expect(reply.body['errors'].length).toBeGreaterThan(0);
      for (const error of reply.body['errors']) {
        expect(error.extensions).toMatchObject({ code: 'VALIDATION_ERROR', status: 400, requestId: reply.headers.get('x-request-id') });
      }
    }
    expect(upstreamCalls()).toBe(callsBefore);
  });

  it.each([
    ['no Authorization header', null],
    ['a Basic credential', 'Basic dXNlcjpwYXNz'],
    ['a bearer with no token', 'Bearer '],
    ['a bearer token with spaces inside', 'Bearer two words'],
  ])('%s → 401 UNAUTHENTICATED before any upstream call', async (_name, authorization) => {
    const reply = await post(JSON.stringify({ query: '{ projects { id } }' }), graphqlResponse, authorization);
    expect(reply.status).toBe(401);
    expect(reply.headers.get('www-authenticate')).toBe('Bearer');
    expect(reply.body['data']).toBeUndefined();
    expect(reply.body['errors']).toEqual([
      { message: expect.any(String), extensions: { code: 'UNAUTHENTICATED', status: 401, requestId: reply.headers.get('x-request-id') } },
    ]);
    expect(upstreamCalls()).toBe(callsBefore);
  });

  it('serves a body that is not JSON with a 4xx and VALIDATION_ERROR', async () => {
    const reply = await post('{"query": ', graphqlResponse);
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expect(reply.body['errors'][0].extensions).toMatchObject({ code: 'VALIDATION_ERROR', requestId: reply.headers.get('x-request-id') });
    expect(JSON.stringify(reply.body)).not.toMatch(/originalError|SyntaxError/);
  });

  it('refuses a mutation over GET', async () => {
    const url = `${gateway.url}/graphql?query=${encodeURIComponent('mutation { startSynthesis(workspaceId: "w-1") { id } }')}`;
    const response = await fetch(url, { headers: { authorization: 'Bearer demo-admin', accept: graphqlResponse, 'x-graphql-csrf': '1' } });
    expect(response.status).toBe(405);
    const body = (await response.json()) as Record<string, any>;
    expect(body['errors'][0].extensions.code).toBe('VALIDATION_ERROR');
    expect(upstreamCalls()).toBe(callsBefore);
  });

  it('serves queries over GET', async () => {
    const url = `${gateway.url}/graphql?query=${encodeURIComponent('{ project(id: "p-1") { name } }')}`;
    const response = await fetch(url, { headers: { authorization: 'Bearer demo-admin', accept: graphqlResponse, 'x-graphql-csrf': '1' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { project: { name: 'Atlas' } } });
  });
});
