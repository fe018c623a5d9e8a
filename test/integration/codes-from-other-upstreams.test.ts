/**
 * The codes the demo services never produce, from small real servers on loopback that speak
 * other dialects or misbehave: the contract holds for any upstream, not just the fixtures.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/server.js';
import { parseConfig } from '../../src/config.js';
import { errorAt, startTestGateway, type TestGateway } from '../support/gateway.js';
import { json, refusedPort, startTestServer, type RecordedRequest, type TestServer } from '../support/http-server.js';
import { createRecordingLogger } from '../support/recording-logger.js';

let gateway: TestGateway | undefined;
let upstream: TestServer | undefined;
afterEach(async () => {
  await gateway?.stop(0);
  await upstream?.close();
  gateway = upstream = undefined;
});

async function knowledgeAnswering(handler: (request: RecordedRequest, response: ServerResponse) => void, env: Record<string, string> = {}) {
  upstream = await startTestServer(handler);
  gateway = await startTestGateway({ KNOWLEDGE_URL: upstream.url, ...env });
  return gateway;
}

const remember = 'mutation { rememberFact(contextId: "c-1", text: "hello") { id } }';

describe('codes from other upstreams', () => {
  it.each([
    ['FILE_TOO_LARGE on 413 (flat coded)', 413, { code: 'FILE_TOO_LARGE', message: 'File size (150 MB) exceeds 100 MB limit' }, 'PAYLOAD_TOO_LARGE', 413],
    ['payload_too_large on 413 (OAuth style)', 413, { error: 'payload_too_large', error_description: 'Too big' }, 'PAYLOAD_TOO_LARGE', 413],
    ['UNSUPPORTED_FILE_TYPE on 415 (flat coded)', 415, { code: 'UNSUPPORTED_FILE_TYPE', message: 'Executable and script files are not allowed.' }, 'UNSUPPORTED_MEDIA_TYPE', 415],
    ['a JSON:API error list on 422', 422, { errors: [{ code: 'invalid_text', detail: 'text is too short', source: { pointer: '/text' } }] }, 'VALIDATION_ERROR', 400],
    ['a bare 418', 418, {}, 'VALIDATION_ERROR', 400],
    ['a bare 501', 501, {}, 'UPSTREAM_ERROR', 500],
    ['an HTML 502 from a proxy', 502, '<html><body><h1>502 Bad Gateway</h1><p>nginx/1.25</p></body></html>', 'BAD_GATEWAY', 502],
    ['a 504', 504, { code: 'gateway_timeout', message: 'upstream timed out' }, 'GATEWAY_TIMEOUT', 504],
    ['a 408', 408, '', 'GATEWAY_TIMEOUT', 504],
    // Fastify's error shape: `error` is the reason phrase, `code` the code. Once read as OAuth style.
    ['a Fastify 409 with an in-progress code', 409, { statusCode: 409, code: 'IMPORT_IN_PROGRESS', error: 'Conflict', message: 'An import is running' }, 'CONFLICT', 409],
    ['a Fastify 404 whose reason phrase is not the code', 404, { statusCode: 404, code: 'FACT_MISSING', error: 'Not Found', message: 'No such fact' }, 'NOT_FOUND', 404],
  ])('%s → %s', async (_name, status, body, code, canonicalStatus) => {
    await knowledgeAnswering((_request, response) => {
      if (typeof body === 'string') {
        response.writeHead(status, { 'content-type': 'text/html' });
        response.end(body);
      } else json(response, status, body);
    });
    const reply = await gateway!.graphql(remember);
    expect(reply.status).toBe(200);
    const error = errorAt(reply, ['rememberFact']);
    expect(error.extensions).toMatchObject({ code, status: canonicalStatus, upstream: { service: 'knowledge', status } });
    expect(error.message).not.toMatch(/<|nginx/);
    if (typeof body === 'object' && 'statusCode' in body) expect(error.extensions['upstream'].code).toBe(body.code);
    if (code === 'VALIDATION_ERROR' && status === 422) {
      expect(error.extensions['details']).toEqual({ fieldErrors: [{ field: 'text', message: 'text is too short' }] });
    }
  });

  // ERRORS.md §4 names `fieldErrors` among the client-safe details; APIs list them under many names.
  it.each<[string, number, Record<string, unknown>]>([
    ['a flat body with details.fieldErrors', 400, { code: 'validation_error', message: 'Invalid fact', details: { fieldErrors: [{ field: 'text', message: 'required' }] } }],
    ['a flat body with details.field_errors', 400, { code: 'validation_error', message: 'Invalid fact', details: { field_errors: [{ field: 'text', message: 'required' }] } }],
    ['a flat body whose details is the list', 400, { code: 'validation_error', message: 'Invalid fact', details: [{ field: 'text', message: 'required' }] }],
    ['a flat body with fieldErrors beside the code', 400, { code: 'validation_error', message: 'Invalid fact', fieldErrors: [{ field: 'text', message: 'required' }] }],
    ['a nested error with fieldErrors', 422, { error: { code: 'validation_error', message: 'Invalid fact', fieldErrors: [{ field: 'text', message: 'required' }] } }],
    ['a nested error with details.fieldErrors', 422, { error: { code: 'validation_error', message: 'Invalid fact', details: { fieldErrors: [{ field: 'text', message: 'required' }] } } }],
    ['a Problem with a fieldErrors member', 400, { type: 'about:blank', title: 'Invalid fact', status: 400, fieldErrors: [{ field: 'text', message: 'required' }] }],
    ['a Problem with RFC 7807\'s invalid-params', 400, { type: 'https://problems.example/validation-error', title: 'Invalid fact', status: 400, 'invalid-params': [{ name: 'text', reason: 'required' }] }],
    ['a Problem with Symfony-style violations', 422, { type: 'https://symfony.com/errors/validation', title: 'Invalid fact', status: 422, violations: [{ propertyPath: 'text', title: 'required' }] }],
  ])('field errors in %s reach details.fieldErrors', async (_name, status, body) => {
    await knowledgeAnswering((_request, response) => json(response, status, body));
    const reply = await gateway!.graphql(remember);
    const error = errorAt(reply, ['rememberFact']);
    expect(error.extensions).toMatchObject({ code: 'VALIDATION_ERROR', status: 400, details: { fieldErrors: [{ field: 'text', message: 'required' }] } });
    expect(error.message).toBe('Invalid fact');
  });

  it('a body taken for a Problem that puts its text in `message` keeps that text', async () => {
    await knowledgeAnswering((_request, response) => json(response, 401, { type: 'error', status: 401, code: 'invalid_token', message: 'The key has expired' }));
    const error = errorAt(await gateway!.graphql(remember), ['rememberFact']);
    expect(error.extensions).toMatchObject({ code: 'UNAUTHENTICATED', upstream: { code: 'invalid_token' } });
    expect(error.message).toBe('The key has expired');
  });

  it('a `name` without a `reason` is no field: an error list item may name the error itself', async () => {
    await knowledgeAnswering((_request, response) => json(response, 400, { errors: [{ name: 'ValidationError', message: 'Invalid fact' }] }));
    const error = errorAt(await gateway!.graphql(remember), ['rememberFact']);
    expect(error.extensions).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(error.extensions['details']).toBeUndefined();
  });

  it('an id in an answer that cannot be a path segment fails the fields that need it with BAD_GATEWAY, not VALIDATION_ERROR', async () => {
    upstream = await startTestServer((_request, response) => json(response, 200, { id: '..', name: 'Odd', ownerId: '..', workspaceId: '.' }));
    gateway = await startTestGateway({ PROJECTS_URL: upstream.url });
    const reply = await gateway.graphql('{ project(id: "p-odd") { id name owner { id } workspace { id } sessions { id } } }');
    expect(reply.status).toBe(200);
    expect(reply.body.data).toEqual({ project: { id: '..', name: 'Odd', owner: null, workspace: null, sessions: null } });
    for (const field of ['owner', 'workspace', 'sessions']) {
      const error = errorAt(reply, ['project', field]);
      // The caller sent nothing wrong: the projects service's answer is at fault.
      expect(error.extensions).toMatchObject({ code: 'BAD_GATEWAY', status: 502, upstream: { service: 'projects' } });
      expect(error.extensions['upstream'].status).toBeUndefined();
      expect(error.message).not.toContain('..');
    }
    expect(upstream.requests).toHaveLength(1); // no sessions call
    expect(gateway.demo!.services.directory!.requests).toHaveLength(0);
    expect(gateway.demo!.services.workspaces!.requests).toHaveLength(0);
  });

  it('an empty owner or workspace id in an answer is BAD_GATEWAY at that field; a null one is no owner, with no error', async () => {
    upstream = await startTestServer((request, response) =>
      json(response, 200, request.url.endsWith('p-empty') ? { id: 'p-empty', name: 'Empty', ownerId: '', workspaceId: '' } : { id: 'p-none', name: 'None', ownerId: null, workspaceId: null }),
    );
    gateway = await startTestGateway({ PROJECTS_URL: upstream.url });
    const reply = await gateway.graphql('{ a: project(id: "p-empty") { name owner { id } workspace { id } } b: project(id: "p-none") { name owner { id } workspace { id } } }');
    expect(reply.body.data).toEqual({ a: { name: 'Empty', owner: null, workspace: null }, b: { name: 'None', owner: null, workspace: null } });
    expect(reply.body.errors).toHaveLength(2);
    for (const field of ['owner', 'workspace']) expect(errorAt(reply, ['a', field]).extensions).toMatchObject({ code: 'BAD_GATEWAY', upstream: { service: 'projects' } });
    expect(gateway.demo!.services.directory!.requests).toHaveLength(0);
  });

  it('a redirect is not followed → BAD_GATEWAY', async () => {
    await knowledgeAnswering((_request, response) => {
      response.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' });
      response.end();
    });
    const reply = await gateway!.graphql('{ context(id: "c-1") { name } }');
    expect(errorAt(reply, ['context']).extensions).toMatchObject({ code: 'BAD_GATEWAY', status: 502, upstream: { service: 'knowledge', status: 302 } });
    expect(upstream!.requests).toHaveLength(1);
    expect(JSON.stringify(reply.body)).not.toContain('elsewhere');
  });

  it('a redirect keeps the identifiers its answer had, and its message when an override makes it a 4xx', async () => {
    await knowledgeAnswering(
      (_request, response) => json(response, 302, { code: 'moved_code', message: 'This context moved' }, { location: 'http://127.0.0.1:1/elsewhere', 'x-request-id': 'redir-77' }),
      { ERROR_OVERRIDES: '{"knowledge":{"moved_code":"NOT_FOUND"}}' },
    );
    const error = errorAt(await gateway!.graphql('{ context(id: "c-1") { name } }'), ['context']);
    expect(error.message).toBe('This context moved');
    expect(error.extensions).toMatchObject({ code: 'NOT_FOUND', upstream: { service: 'knowledge', status: 302, code: 'moved_code', requestId: 'redir-77' } });
  });

  it('a 2xx that is not JSON keeps the upstream request id it came with', async () => {
    await knowledgeAnswering((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'inv-1' });
      response.end('<html>oops</html>');
    });
    const error = errorAt(await gateway!.graphql('{ context(id: "c-1") { name } }'), ['context']);
    expect(error.extensions).toMatchObject({ code: 'BAD_GATEWAY', upstream: { service: 'knowledge', status: 200, requestId: 'inv-1' } });
  });

  it.each([
    ['free text', 'Connection to primary db failed after 3 retries'],
    ['a URI with free text after it', 'https://example.com/errors/NullPointerException at com.acme.Foo'],
  ])('a 5xx Problem whose type is %s shows no type', async (_name, type) => {
    await knowledgeAnswering((_request, response) => json(response, 500, { type, title: 'x', status: 500, detail: 'd' }, { 'content-type': 'application/problem+json' }));
    const error = errorAt(await gateway!.graphql('{ context(id: "c-1") { name } }'), ['context']);
    expect(error.extensions['code']).toBe('UPSTREAM_ERROR');
    expect(error.extensions['upstream']).toEqual({ service: 'knowledge', status: 500 });
  });

  it.each([
    ['https://problems.example/quota-exceeded#help', 'QUOTA_EXCEEDED', 'quota_exceeded'],
    ['https://problems.example/quota-exceeded?a=b#frag', 'QUOTA_EXCEEDED', 'quota_exceeded'],
    ['https://problems.example/#quota-exceeded', 'QUOTA_EXCEEDED', 'quota_exceeded'],
  ])('a Problem type %s is read by its last path segment → %s', async (type, code, upstreamCode) => {
    await knowledgeAnswering((_request, response) => json(response, 400, { type, title: 'Quota', status: 400, detail: 'Out of quota' }, { 'content-type': 'application/problem+json' }));
    const error = errorAt(await gateway!.graphql('{ context(id: "c-1") { name } }'), ['context']);
    expect(error.extensions).toMatchObject({ code, upstream: { code: upstreamCode, type } });
  });

  it.each([
    ['1.5', 429, 'RATE_LIMITED', 2],
    ['-5', 429, 'RATE_LIMITED', 0],
    ['1.5', 503, 'SERVICE_UNAVAILABLE', 2],
  ])('Retry-After: %s on a %s → %s with retryAfter %s', async (retryAfter, status, code, seconds) => {
    // The 503 is a write's (not retried): the answer is the one the client sees at once.
    await knowledgeAnswering((_request, response) => json(response, status, {}, { 'retry-after': retryAfter }));
    const error = errorAt(await gateway!.graphql(remember), ['rememberFact']);
    expect(error.extensions).toMatchObject({ code, retryAfter: seconds });
  });

  it('a redirect whose code has an override takes the override (ERRORS.md §2, step 1)', async () => {
    await knowledgeAnswering(
      (_request, response) => json(response, 308, { type: 'https://problems.example/context-moved', title: 'Moved', status: 308 }, { location: 'http://127.0.0.1:1/elsewhere' }),
      { ERROR_OVERRIDES: '{"knowledge":{"https://problems.example/context-moved":"NOT_FOUND"}}' },
    );
    const reply = await gateway!.graphql('{ context(id: "c-1") { name } }');
    expect(errorAt(reply, ['context']).extensions).toMatchObject({ code: 'NOT_FOUND', status: 404, upstream: { service: 'knowledge', status: 308 } });
    expect(upstream!.requests).toHaveLength(1);
  });

  it('a 200 that is not JSON → BAD_GATEWAY', async () => {
    await knowledgeAnswering((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"id": "c-1", "name": ');
    });
    const reply = await gateway!.graphql('{ context(id: "c-1") { name } }');
    expect(errorAt(reply, ['context']).extensions).toMatchObject({ code: 'BAD_GATEWAY', status: 502, upstream: { service: 'knowledge' } });
    expect(errorAt(reply, ['context']).message).toBe('The knowledge service answered with something unusable');
  });

  it('a user without an address (email null, or no member) has a null email and no error', async () => {
    upstream = await startTestServer((request, response) => {
      if (request.url.endsWith('/email')) return json(response, 200, request.url.includes('u-none') ? {} : { email: null });
      json(response, 200, { id: request.url.split('/')[4], name: 'Carl' });
    });
    gateway = await startTestGateway({ DIRECTORY_URL: upstream.url });
    const reply = await gateway.graphql('{ a: user(id: "u-null") { name email } b: user(id: "u-none") { email } }');
    expect(reply.body).toEqual({ data: { a: { name: 'Carl', email: null }, b: { email: null } } });
  });

  it('a 200 whose JSON has the wrong shape → BAD_GATEWAY at that field', async () => {
    await knowledgeAnswering((_request, response) => json(response, 200, { id: 'c-1', name: null }));
    const reply = await gateway!.graphql('{ context(id: "c-1") { name } }');
    expect(reply.body.data).toEqual({ context: null });
    expect(errorAt(reply, ['context']).extensions['code']).toBe('BAD_GATEWAY');
  });

  it('a refused connection → SERVICE_UNAVAILABLE with no status', async () => {
    gateway = await startTestGateway({ KNOWLEDGE_URL: `http://127.0.0.1:${await refusedPort()}` });
    const reply = await gateway.graphql('{ context(id: "c-1") { name } project(id: "p-1") { name } }');
    const error = errorAt(reply, ['context']);
    expect(error.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, upstream: { service: 'knowledge' } });
    expect(error.extensions['upstream'].status).toBeUndefined();
    expect(error.message).toBe('The knowledge service is unavailable');
    expect(reply.body.data!['project']).toEqual({ name: 'Atlas' });
  });

  it('an upstream that does not answer in time → GATEWAY_TIMEOUT', async () => {
    await knowledgeAnswering(() => undefined, { UPSTREAM_TIMEOUT_MS: '200', REQUEST_DEADLINE_MS: '2000' });
    const reply = await gateway!.graphql('mutation { createContext(id: "c-9", name: "x") { id } }');
    expect(errorAt(reply, ['createContext']).extensions).toMatchObject({ code: 'GATEWAY_TIMEOUT', status: 504 });
    expect(errorAt(reply, ['createContext']).message).toBe('The knowledge service did not answer in time');
  });

  it('an id that cannot be one path segment → VALIDATION_ERROR and no upstream call', async () => {
    await knowledgeAnswering((_request, response) => json(response, 200, { id: 'x', name: 'x' }));
    const reply = await gateway!.graphql('{ a: context(id: "..") { name } b: context(id: ".") { name } c: context(id: "") { name } }');
    for (const alias of ['a', 'b', 'c']) expect(errorAt(reply, [alias]).extensions).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
    expect(upstream!.requests).toHaveLength(0);
  });
});

describe('gateway failures', () => {
  it('a bug in the gateway → INTERNAL_SERVER_ERROR, masked, logged with the request id', async () => {
    const logger = createRecordingLogger();
    const broken = createGateway({
      config: parseConfig({ RATE_LIMIT_OPERATIONS: 'off' }),
      upstreamUrls: { projects: 'http://127.0.0.1:9', workspaces: 'http://127.0.0.1:9', directory: 'http://127.0.0.1:9', knowledge: 'http://127.0.0.1:9' },
      transport: {
        send: () => {
          throw new TypeError("Cannot read properties of undefined (reading 'secret') at /srv/app/src/x.ts:12");
        },
        close: async () => undefined,
      },
      logger,
    });
    const response = await broken.fetch(
      new Request('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' },
        body: JSON.stringify({ query: '{ project(id: "p-1") { name } }' }),
      }),
    );
    const body = (await response.json()) as Record<string, any>;
    const requestId = response.headers.get('x-request-id');
    expect(response.status).toBe(200);
    expect(body['data']).toEqual({ project: null });
    expect(body['errors']).toEqual([
      { message: 'Unexpected error.', path: ['project'], locations: [{ line: 1, column: 3 }], extensions: { code: 'INTERNAL_SERVER_ERROR', status: 500, requestId } },
    ]);
    expect(JSON.stringify(body)).not.toMatch(/secret|\/srv/);
    expect(logger.entries.some((entry) => entry.level === 'error' && JSON.stringify(entry.fields).includes(requestId!))).toBe(true);
  });
});
