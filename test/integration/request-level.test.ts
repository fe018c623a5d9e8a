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
    [`application/json, ${graphqlResponse}`, 400, graphqlResponse],
    [`application/json;q=1, ${graphqlResponse};q=0.5`, 400, graphqlResponse],
    [`*/*, ${graphqlResponse}`, 400, graphqlResponse],
    [`application/json, ${graphqlResponse};q=0`, 200, 'application/json'],
    [`${graphqlResponse};q=0, application/json`, 200, 'application/json'],
    [`${graphqlResponse}; q=0.0, */*`, 200, 'application/json'],
    [`application/json;q=0, */*`, 400, graphqlResponse],
    ['*/*', 200, 'application/json'],
    ['', 200, 'application/json'],
  ])('an invalid document with Accept %j → %i in %s: naming graphql-response+json anywhere counts', async (accept, status, mediaType) => {
    const reply = await post(JSON.stringify({ query: '{ nope }' }), accept);
    expect(reply.status).toBe(status);
    expect(reply.headers.get('content-type')).toBe(`${mediaType}; charset=utf-8`);
    expect(reply.body['errors'][0].extensions).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
    expect(upstreamCalls()).toBe(callsBefore);
  });

  it('partial data with Accept application/json first, graphql-response+json second → 200 in graphql-response+json', async () => {
    const reply = await post(JSON.stringify({ query: '{ a: project(id: "p-1") { name } b: project(id: "p-404") { name } }' }), `application/json, ${graphqlResponse}`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe(`${graphqlResponse}; charset=utf-8`);
    expect(reply.body['data']['a']).not.toBeNull();
    expect(reply.body['errors'][0].extensions.code).toBe('NOT_FOUND');
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

  it.each([
    [graphqlResponse, graphqlResponse],
    [`application/json, ${graphqlResponse}`, graphqlResponse],
    ['APPLICATION/GRAPHQL-RESPONSE+JSON', graphqlResponse],
    [`application/json, ${graphqlResponse};q=0`, 'application/json'],
    [`${graphqlResponse};q=0, application/json`, 'application/json'],
    [`text/event-stream, ${graphqlResponse}`, graphqlResponse],
    [`multipart/mixed, ${graphqlResponse}`, graphqlResponse],
    ['application/json', 'application/json'],
  ])('a 401 with Accept %j is written as %s, the way every other answer reads Accept', async (accept, mediaType) => {
    const reply = await post(JSON.stringify({ query: '{ projects { id } }' }), accept, null);
    expect(reply.status).toBe(401);
    expect(reply.headers.get('content-type')).toBe(`${mediaType}; charset=utf-8`);
    expect(reply.body['errors'][0].extensions.code).toBe('UNAUTHENTICATED');
    // The same request with a credential is answered in the same type.
    const answered = await post(JSON.stringify({ query: '{ project(id: "p-1") { name } }' }), accept);
    expect(answered.headers.get('content-type')).toBe(`${mediaType}; charset=utf-8`);
  });

  it.each(['/graphql/', '/api/graphql', '/graphql?x=1'])('asks for credentials on %s too, where yoga also serves GraphQL', async (path) => {
    for (const query of ['{ projects { id } }', 'mutation { createContext(id: "c-auth", name: "n") { id } }']) {
      const response = await fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: graphqlResponse }, body: JSON.stringify({ query }) });
      expect(response.status).toBe(401);
      expect(((await response.json()) as Record<string, any>)['errors'][0].extensions.code).toBe('UNAUTHENTICATED');
    }
    expect(upstreamCalls()).toBe(callsBefore);
  });

  it.each([
    ['POST', 'application/xml'],
    ['POST', 'text/html'],
    ['POST', 'application/json; charset=latin1'],
    ['POST', `${graphqlResponse};q=0`],
    ['POST', `*/*;q=0`],
    ['POST', `${graphqlResponse};q=0, application/json;q=0, multipart/mixed`],
    ['GET', 'application/xml'],
  ])('refuses %s with Accept %s with 406 before the operation runs', async (method, accept) => {
    const query = method === 'POST' ? 'mutation { createContext(id: "c-accept", name: "n") { id } }' : '{ projects { id } }';
    const headers = { authorization: 'Bearer demo-admin', accept, 'content-type': 'application/json', 'x-graphql-csrf': '1' };
    const response =
      method === 'POST'
        ? await fetch(`${gateway.url}/graphql`, { method, headers, body: JSON.stringify({ query }) })
        : await fetch(`${gateway.url}/graphql?query=${encodeURIComponent(query)}`, { headers });
    expect(response.status).toBe(406);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as Record<string, any>;
    expect(body['data']).toBeUndefined();
    expect(body['errors']).toEqual([{ message: expect.stringContaining('application/json'), extensions: { code: 'VALIDATION_ERROR', status: 400, requestId: response.headers.get('x-request-id') } }]);
    expect(upstreamCalls()).toBe(callsBefore); // the write was never sent
  });

  it.each(['text/event-stream, application/json;q=0', `application/json;q=0, ${graphqlResponse};q=0, text/event-stream`])('answers Accept %s with one server-sent event, never the refused type', async (accept) => {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { authorization: 'Bearer demo-admin', accept, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ project(id: "p-1") { name } }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await response.text()).toContain('"name":"Atlas"');
  });

  it.each([['*/*'], ['application/*'], ['text/html;q=0.9, */*;q=0.1'], ['APPLICATION/JSON'], ['multipart/mixed']])('answers Accept %s', async (accept) => {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { authorization: 'Bearer demo-admin', accept, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ project(id: "p-1") { name } }' }),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('"name":"Atlas"');
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

describe('with GraphiQL off', () => {
  let off: TestGateway;
  beforeAll(async () => {
    off = await startTestGateway({ GRAPHIQL: 'false' });
  });
  afterAll(() => off.stop(0));

  it('a GET asking for HTML is a GraphQL request like any other: credentials first, and no page', async () => {
    const calls = () => Object.values(off.demo!.services).reduce((sum, service) => sum + service!.requests.length, 0);
    const url = `${off.url}/graphql?query=${encodeURIComponent('{ projects { id } }')}`;
    for (const accept of ['text/html', 'text/html, application/json', 'application/json, text/html;q=0.1']) {
      const response = await fetch(url, { headers: { accept, 'x-graphql-csrf': '1' } });
      expect(response.status).toBe(401);
      expect(((await response.json()) as Record<string, any>)['errors'][0].extensions.code).toBe('UNAUTHENTICATED');
    }
    const html = await fetch(url, { headers: { accept: 'text/html', authorization: 'Bearer demo-admin', 'x-graphql-csrf': '1' } });
    expect(html.status).toBe(406);
    expect(await html.text()).not.toContain('<html');
    expect(calls()).toBe(0);
  });
});
