/**
 * What hostile callers get, over real HTTP: for each exact input, the HTTP status, the
 * `extensions.code` of every error, and how many upstream calls it caused (the demo services
 * count every request they receive). Every response goes through the leak scan, and the
 * gateway answers /health after all of them.
 */
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { assertNoLeaks } from '../support/leak-scan.js';
import { send, sendRaw, type RawReply, type SendOptions } from '../support/raw-http.js';

let gateway: TestGateway;
/** The same gateway configured for production: limits tightened and exposed, introspection off, CORS and batching on, a 1.5 s deadline. */
let strict: TestGateway;
beforeAll(async () => {
  [gateway, strict] = await Promise.all([
    startTestGateway(),
    startTestGateway({ REQUEST_DEADLINE_MS: '1500', INTROSPECTION: 'false', MAX_DEPTH: '2', MAX_COST: '10', EXPOSE_LIMITS: 'true', BATCH_LIMIT: '2', CORS_ORIGINS: 'https://app.example' }),
  ]);
});
afterAll(() => Promise.all([gateway.stop(0), strict.stop(0)]));

const upstreamCalls = (target: TestGateway) => Object.values(target.demo!.services).reduce((sum, service) => sum + service!.requests.length, 0);
const lastPath = (target: TestGateway, service: 'projects') => target.demo!.services[service]!.requests.at(-1)?.path;

const json = { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: 'Bearer demo-admin' };
const post = (query: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): SendOptions => ({
  headers: { ...json, ...headers },
  body: JSON.stringify({ query, ...extra }),
});
const byId = (id: string): SendOptions => post('query ($id: ID!) { project(id: $id) { name } }', { variables: { id } });
const get = (query: string, headers: Record<string, string> = {}): SendOptions => ({
  method: 'GET',
  path: `/graphql?query=${encodeURIComponent(query)}`,
  headers: { accept: json.accept, authorization: json.authorization, ...headers },
});
const rawPost = (headerLines: string[], body = '{"query":"{ projects { id } }"}') =>
  ['POST /graphql HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', ...headerLines, '', body].join('\r\n');

const threeMegabytes = JSON.stringify({ query: '{ projects { id } }', variables: { pad: 'x'.repeat(3 * 1024 * 1024) } });
const aliases = (count: number, field: string) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

interface Row {
  input: string;
  request: SendOptions | { raw: string };
  status: number;
  /** The code of every error; `null` when the reply has none. */
  code: string | null;
  calls: number;
  on?: 'strict';
  check?: (reply: RawReply, target: TestGateway) => void;
}

const rows: Row[] = [
  // Ids in upstream paths (ERRORS.md §2): refused before any call, or exactly one encoded segment.
  { input: 'id ""', request: byId(''), status: 200, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'id "."', request: byId('.'), status: 200, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'id ".."', request: byId('..'), status: 200, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'id of 257 characters', request: byId('a'.repeat(257)), status: 200, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'id with NUL', request: byId('p-1\u0000'), status: 200, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'id with CR LF', request: byId('p-1\r\nX-Injected: 1'), status: 200, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'id with DEL', request: byId('\u007f'), status: 200, code: 'VALIDATION_ERROR', calls: 0 },
  // Half a surrogate pair cannot be percent-encoded: it once failed as INTERNAL_SERVER_ERROR.
  { input: 'id with a lone high surrogate', request: { headers: json, body: '{"query":"query ($id: ID!) { project(id: $id) { name } }","variables":{"id":"p-\\ud800"}}' }, status: 200, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'id with a lone low surrogate in the document (a syntax error)', request: post('{ user(id: "a\\udfffb") { name } }'), status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'id of 200 emoji (400 UTF-16 units, 200 characters)', request: byId('\u{1F600}'.repeat(200)), status: 200, code: 'NOT_FOUND', calls: 1 },
  // One Idempotency-Key header names one write: forwarded to several, the upstream replayed the
  // first answer for the others (writes lost without a word).
  {
    input: 'an Idempotency-Key header with two writes',
    request: post('mutation { a: rememberFact(contextId: "c-1", text: "first") { id } b: rememberFact(contextId: "c-1", text: "second") { id } }', {}, { 'idempotency-key': 'k-two-writes' }),
    status: 400,
    code: 'VALIDATION_ERROR',
    calls: 0,
    check: (reply) => expect(JSON.parse(reply.text).errors[0].message).toMatch(/covers one write/),
  },
  {
    input: 'an Idempotency-Key header with two writes through a fragment',
    request: post('mutation { ...Both } fragment Both on Mutation { a: rememberFact(contextId: "c-1", text: "first") { id } b: rememberFact(contextId: "c-1", text: "second") { id } }', {}, { 'idempotency-key': 'k-two-writes-2' }),
    status: 400,
    code: 'VALIDATION_ERROR',
    calls: 0,
  },
  // A key that could not be forwarded as it is was dropped without a word, and the write sent.
  ...['k'.repeat(256), 'a\tb', 'cl\u00e9-1'].map((key): Row => ({
    input: `an Idempotency-Key header ${JSON.stringify(key).slice(0, 16)} on a write`,
    request: post('mutation { rememberFact(contextId: "c-1", text: "keyed") { id } }', {}, { 'idempotency-key': key }),
    status: 400,
    code: 'VALIDATION_ERROR',
    calls: 0,
    check: (reply) => expect(JSON.parse(reply.text).errors[0].message).toMatch(/Idempotency-Key header must be/),
  })),
  { input: 'an unusable Idempotency-Key header on a query is ignored', request: post('{ project(id: "p-1") { name } }', {}, { 'idempotency-key': 'k'.repeat(256) }), status: 200, code: null, calls: 1 },
  { input: 'an Idempotency-Key header with one write', request: post('mutation { rememberFact(contextId: "c-1", text: "only") { id } }', {}, { 'idempotency-key': 'k-one-write' }), status: 200, code: null, calls: 1 },
  { input: 'two writes without an Idempotency-Key header', request: post('mutation { a: rememberFact(contextId: "c-1", text: "one") { id } b: rememberFact(contextId: "c-1", text: "two") { id } }'), status: 200, code: null, calls: 2 },
  // An idempotency key given as an argument must be sendable as a header, as it is.
  ...['ключ', '', ' ', 'a\u0000b', ' padded', 'k'.repeat(256)].map((key): Row => ({
    input: `idempotencyKey ${JSON.stringify(key).slice(0, 20)}`,
    request: post('mutation ($key: String) { rememberFact(contextId: "c-1", text: "t", idempotencyKey: $key) { id } }', { variables: { key } }),
    status: 200,
    code: 'VALIDATION_ERROR',
    calls: 0,
    check: (reply) => expect(JSON.parse(reply.text).errors[0].message).toMatch(/^Invalid idempotency key: /),
  })),
  { input: 'workspace id ".." inline', request: post('{ workspace(id: "..") { name } }'), status: 200, code: 'VALIDATION_ERROR', calls: 0 },
  {
    input: 'id "../../admin" stays one segment',
    request: byId('../../admin'),
    status: 200,
    code: 'NOT_FOUND',
    calls: 1,
    check: (_reply, target) => expect(lastPath(target, 'projects')).toBe('/api/v1/projects/..%2F..%2Fadmin'),
  },
  {
    input: 'id "%2e%2e" stays one segment',
    request: byId('%2e%2e'),
    status: 200,
    code: 'NOT_FOUND',
    calls: 1,
    check: (_reply, target) => expect(lastPath(target, 'projects')).toBe('/api/v1/projects/%252e%252e'),
  },
  {
    input: 'id "p-1?admin=1#x" stays one segment',
    request: byId('p-1?admin=1#x'),
    status: 200,
    code: 'NOT_FOUND',
    calls: 1,
    check: (_reply, target) => expect(lastPath(target, 'projects')).toBe('/api/v1/projects/p-1%3Fadmin%3D1%23x'),
  },
  { input: 'id of 256 characters', request: byId('a'.repeat(256)), status: 200, code: 'NOT_FOUND', calls: 1 },

  // Headers.
  { input: 'Authorization of 5000 characters', request: post('{ projects { id } }', {}, { authorization: `Bearer ${'a'.repeat(5000)}` }), status: 401, code: 'UNAUTHENTICATED', calls: 0 },
  { input: 'CR LF inside a header value', request: { raw: rawPost(['Authorization: Bearer demo-admin', 'X-Note: a\rInjected: b']) }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'bare LF inside a header value', request: { raw: rawPost(['Authorization: Bearer demo-admin\nX-Injected: 1']) }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'a 20 KB header', request: { raw: rawPost(['Authorization: Bearer demo-admin', `X-Big: ${'a'.repeat(20_000)}`]) }, status: 431, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'a 20 KB query string', request: get(`{ projects { id } } #${'a'.repeat(20_000)}`, { 'x-graphql-csrf': '1' }), status: 431, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'Content-Length and Transfer-Encoding both', request: { raw: rawPost(['Authorization: Bearer demo-admin', 'Transfer-Encoding: chunked']) }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'Content-Length "abc"', request: { raw: ['POST /graphql HTTP/1.1', 'Host: x', 'Content-Length: abc', '', ''].join('\r\n') }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  {
    input: 'x-request-id of 129 characters is replaced',
    request: post('{ project(id: "p-1") { name } }', {}, { 'x-request-id': 'a'.repeat(129) }),
    status: 200,
    code: null,
    calls: 1,
    check: (reply) => expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/),
  },

  // The document.
  { input: 'recursive fragments', request: post('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }'), status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'a self-spreading fragment on a list', request: post('{ projects { ...P } } fragment P on Project { id owner { name } ...P }'), status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'depth bomb (12 levels)', request: post(`{ projects { ${'owner { '.repeat(11)}name${' }'.repeat(11)} } }`), status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'alias bomb (100 aliases)', request: post(aliases(100, 'projects { id }')), status: 400, code: 'VALIDATION_ERROR', calls: 0, check: (reply) => expect(reply.text).not.toMatch(/\b15\b|\b100\b/) },
  // Depth and cost leave introspection alone (GraphiQL's own query is deeper than MAX_DEPTH);
  // graphql-js's rule for introspection lists is what stops an exponential `fields { type { fields …`.
  { input: 'introspection lists nested four deep', request: post(`{ __schema { types { ${'fields { type { '.repeat(4)}name${' } }'.repeat(4)} } } }`), status: 400, code: 'VALIDATION_ERROR', calls: 0, check: (reply) => expect(reply.text).toMatch(/introspection depth/i) },
  { input: "GraphiQL's introspection query within the default limits", request: post(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true })), status: 200, code: null, calls: 0 },
  { input: '50 __typename aliases', request: post(aliases(50, '__typename')), status: 200, code: null, calls: 0 },
  { input: 'directive bomb (30 @include)', request: post(`{ projects ${'@include(if: true) '.repeat(30)}{ id } }`), status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: '10,000-token document', request: post(`{ ${'projects { id } '.repeat(2500)}}`), status: 400, code: 'VALIDATION_ERROR', calls: 0, check: (reply) => expect(reply.text).not.toMatch(/1000/) },
  { input: 'ID! variable 1.5', request: post('query ($id: ID!) { project(id: $id) { name } }', { variables: { id: 1.5 } }), status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'ID! variable null', request: post('query ($id: ID!) { project(id: $id) { name } }', { variables: { id: null } }), status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'ID! variable object', request: post('query ($id: ID!) { project(id: $id) { name } }', { variables: { id: { $ne: '' } } }), status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'ID! variable array', request: post('query ($id: ID!) { project(id: $id) { name } }', { variables: { id: ['p-1', 'p-2'] } }), status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'variables as a string', request: post('query ($id: ID!) { project(id: $id) { name } }', { variables: '{"id":"p-1"}' }), status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'unknown operationName', request: post('query A { projects { id } }', { operationName: 'B' }), status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'two operations, no operationName', request: post('query A { projects { id } } query B { projects { id } }'), status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  // Like an invalid document: 200 for a client that accepts application/json only (it was 400).
  { input: 'unknown operationName, accepting application/json only', request: post('query A { projects { id } }', { operationName: 'B' }, { accept: 'application/json' }), status: 200, code: 'VALIDATION_ERROR', calls: 0 },

  // The HTTP request.
  { input: 'JSON null body', request: { headers: json, body: 'null' }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'JSON array body (batching off)', request: { headers: json, body: '[{"query":"{ projects { id } }"}]' }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'JSON number body', request: { headers: json, body: '42' }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'JSON string body', request: { headers: json, body: '"{ projects { id } }"' }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'invalid JSON', request: { headers: json, body: '{"query": ' }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  // Under the 1 MB cap, 400,000 nested arrays cost JSON.parse and its garbage collection about
  // 200 ms of CPU: refused before parsing, by a scan that skips brackets inside strings.
  { input: 'a body nesting 400,000 arrays in its variables', request: { headers: json, body: `{"query":"{ __typename }","variables":{"v":${'['.repeat(400_000)}${']'.repeat(400_000)}}}` }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'a body nesting 129 levels, one past the limit', request: { headers: json, body: `{"query":"{ __typename }","extensions":${'['.repeat(128)}${']'.repeat(128)}}` }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'a body nesting 128 levels', request: { headers: json, body: `{"query":"{ __typename }","extensions":{"x":${'['.repeat(126)}${']'.repeat(126)}}}` }, status: 200, code: null, calls: 0 },
  { input: 'a string of 100,000 brackets', request: post('{ __typename }', { variables: { s: '[{'.repeat(50_000) } }), status: 200, code: null, calls: 0 },
  { input: 'empty body', request: { headers: json, body: '' }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  // A body that is not JSON is a malformed request: 400 under application/json too (yoga says 200).
  { input: 'invalid JSON, accepting application/json only', request: { headers: { ...json, accept: 'application/json' }, body: '{"query": ' }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'empty body, accepting anything', request: { headers: { ...json, accept: '*/*' }, body: '' }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  // Media types are case-insensitive: yoga matched them as written, and refused with an empty 415.
  { input: 'Content-Type APPLICATION/JSON', request: { headers: { ...json, 'content-type': 'APPLICATION/JSON' }, body: '{"query":"{ projects { id } }"}' }, status: 200, code: null, calls: 1 },
  { input: 'Content-Type Application/GraphQL; charset=UTF-8', request: { headers: { ...json, 'content-type': 'Application/GraphQL; charset=UTF-8' }, body: '{ projects { id } }' }, status: 200, code: null, calls: 1 },
  // Bodies are UTF-8: anything else was decoded as UTF-8 all the same, and `é` in Latin-1 reached the upstream as U+FFFD.
  { input: 'a body that is not UTF-8', request: { headers: json, body: Buffer.from('{"query":"{ project(id: \\"p-\xe9\\") { name } }"}', 'latin1') }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'Content-Type charset=iso-8859-1', request: { headers: { ...json, 'content-type': 'application/json; charset=iso-8859-1' }, body: '{"query":"{ projects { id } }"}' }, status: 415, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'Content-Type charset="utf-8" (quoted)', request: { headers: { ...json, 'content-type': 'application/json; charset="utf-8"' }, body: '{"query":"{ projects { id } }"}' }, status: 200, code: null, calls: 1 },
  { input: 'a body behind a byte order mark', request: { headers: json, body: '\ufeff{"query":"{ projects { id } }"}' }, status: 200, code: null, calls: 1 },
  { input: 'Content-Encoding gzip on a plain body', request: { headers: { ...json, 'content-encoding': 'gzip' }, body: '{"query":"{ projects { id } }"}' }, status: 415, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'GET whose query string is not UTF-8 once decoded', request: { ...get('{ __typename }', { 'x-graphql-csrf': '1' }), path: '/graphql?query=%7Bproject(id:%22p-%FF%22)%7Bname%7D%7D' }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'GET with a stray % in its query string', request: { ...get('{ __typename }', { 'x-graphql-csrf': '1' }), path: '/graphql?query=%7B__typename%7D&note=100%' }, status: 200, code: null, calls: 0 },
  // A query string's variables or extensions that are not JSON once gave INTERNAL_SERVER_ERROR.
  { input: 'GET with variables that are not JSON', request: { ...get('{ projects { id } }', { 'x-graphql-csrf': '1' }), path: `/graphql?query=${encodeURIComponent('{ projects { id } }')}&variables=%7Bbad` }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'GET with extensions that are not JSON', request: { ...get('{ projects { id } }', { 'x-graphql-csrf': '1' }), path: `/graphql?query=${encodeURIComponent('{ projects { id } }')}&extensions=%5B` }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'GET /health with a query string', request: { method: 'GET', path: '/health?probe=1', headers: {} }, status: 200, code: null, calls: 0 },
  // Probes read; a write to them is told so. yoga's own check answered 200 to any method at any
  // URL ending in /health, a GraphQL GET whose query string ended so included.
  ...(['POST', 'PUT', 'DELETE', 'OPTIONS'] as const).flatMap((method) =>
    ['/health', '/ready'].map((path) => ({
      input: `${method} ${path}: 405 with Allow`,
      request: { method, path, headers: {} },
      status: 405,
      code: 'VALIDATION_ERROR',
      calls: 0,
      check: (reply: RawReply) => expect(reply.headers.get('allow')).toBe('GET, HEAD'),
    })),
  ),
  { input: 'HEAD /health', request: { method: 'HEAD', path: '/health', headers: {} }, status: 200, code: null, calls: 0 },
  { input: 'HEAD /ready: checks every service, answers no body', request: { method: 'HEAD', path: '/ready', headers: {} }, status: 200, code: null, calls: 4, check: (reply) => expect(reply.text).toBe('') },
  { input: 'GET /anything/health: 404', request: { method: 'GET', path: '/anything/health', headers: {} }, status: 404, code: null, calls: 0 },
  {
    input: 'a GraphQL GET whose query string ends in /health is GraphQL',
    request: { ...get('{ __typename }', { 'x-graphql-csrf': '1' }), path: `/graphql?query=${encodeURIComponent('{ __typename }')}&from=/health` },
    status: 200,
    code: null,
    calls: 0,
    check: (reply) => expect(JSON.parse(reply.text)).toEqual({ data: { __typename: 'Query' } }),
  },
  { input: 'text/plain body', request: { headers: { ...json, 'content-type': 'text/plain' }, body: '{"query":"{ projects { id } }"}' }, status: 403, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'form body', request: { headers: { ...json, 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=%7B%20projects%20%7B%20id%20%7D%20%7D' }, status: 403, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'form body with a CSRF header', request: { headers: { ...json, 'content-type': 'application/x-www-form-urlencoded', 'x-graphql-csrf': '1' }, body: 'query=%7B%20projects%20%7B%20id%20%7D%20%7D' }, status: 415, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'multipart body', request: { headers: { ...json, 'content-type': 'multipart/form-data; boundary=x', 'x-graphql-csrf': '1' }, body: '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ projects { id } }"}\r\n--x--\r\n' }, status: 415, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'text/plain body with a CSRF header', request: { headers: { ...json, 'content-type': 'text/plain', 'x-graphql-csrf': '1' }, body: '{"query":"{ projects { id } }"}' }, status: 415, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'no Content-Type', request: { headers: { accept: json.accept, authorization: json.authorization, 'x-graphql-csrf': '1' }, body: '{"query":"{ projects { id } }"}' }, status: 415, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'application/xml body', request: { headers: { ...json, 'content-type': 'application/xml' }, body: '<query/>' }, status: 415, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'PUT', request: { ...post('{ projects { id } }'), method: 'PUT' }, status: 405, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'DELETE', request: { method: 'DELETE', headers: json }, status: 405, code: 'VALIDATION_ERROR', calls: 0 },
  // Without a JSON Content-Type the CSRF check once came first: a 403 asking for a CSRF header.
  ...(['DELETE', 'OPTIONS', 'PUT'] as const).map((method) => ({
    input: `${method} with no Content-Type: 405 with Allow, not a CSRF refusal`,
    request: { method, headers: { accept: json.accept, authorization: json.authorization } },
    status: 405,
    code: 'VALIDATION_ERROR',
    calls: 0,
    check: (reply: RawReply) => expect(reply.headers.get('allow')).toBe('GET, POST'),
  })),
  { input: 'PUT without credentials: 405, not 401', request: { method: 'PUT', headers: { 'content-type': 'application/json', accept: json.accept }, body: '{"query":"{ projects { id } }"}' }, status: 405, code: 'VALIDATION_ERROR', calls: 0 },
  {
    input: 'PUT naming graphql-response+json: 405 answered in it',
    request: { method: 'PUT', headers: { accept: 'application/graphql-response+json', authorization: json.authorization } },
    status: 405,
    code: 'VALIDATION_ERROR',
    calls: 0,
    check: (reply) => expect(reply.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8'),
  },
  { input: 'DELETE accepting only text/html: 405, not 406', request: { method: 'DELETE', headers: { accept: 'text/html', authorization: json.authorization } }, status: 405, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'HEAD: 405 with Allow', request: { method: 'HEAD', headers: { authorization: json.authorization } }, status: 405, code: null, calls: 0, check: (reply) => expect(reply.headers.get('allow')).toBe('GET, POST') },
  { input: 'PATCH', request: { ...post('{ projects { id } }'), method: 'PATCH' }, status: 405, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'GET mutation', request: get('mutation { startSynthesis(workspaceId: "w-1") { id } }', { 'x-graphql-csrf': '1' }), status: 405, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'GET without a CSRF header (CSRF-shaped)', request: get('{ projects { id } }'), status: 403, code: 'VALIDATION_ERROR', calls: 0 },
  { input: 'GET with a CSRF header', request: get('{ projects { id } }', { 'x-graphql-csrf': '1' }), status: 200, code: null, calls: 1 },
  { input: '3 MB body with Content-Length', request: { headers: json, body: threeMegabytes }, status: 413, code: 'PAYLOAD_TOO_LARGE', calls: 0 },
  { input: '3 MB body chunked, no Content-Length', request: { headers: json, body: threeMegabytes, chunked: true }, status: 413, code: 'PAYLOAD_TOO_LARGE', calls: 0 },
  {
    input: 'a foreign Origin',
    request: post('{ project(id: "p-1") { name } }', {}, { origin: 'https://evil.example', cookie: 'session=1' }),
    status: 200,
    code: null,
    calls: 1,
    check: (reply) => expect(reply.headers.get('access-control-allow-origin')).toBeNull(),
  },
  {
    // CORS is off here: the preflight reaches the endpoint, which serves GET and POST only.
    input: 'a foreign Origin preflight',
    request: { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } },
    status: 405,
    code: 'VALIDATION_ERROR',
    calls: 0,
    check: (reply) => expect(reply.headers.get('access-control-allow-origin')).toBeNull(),
  },

  // The production configuration.
  { on: 'strict', input: 'depth 3 over MAX_DEPTH=2, limits exposed', request: post('{ projects { owner { name } } }'), status: 400, code: 'VALIDATION_ERROR', calls: 0, check: (reply) => expect(reply.text).toMatch(/depth limit of 2 exceeded/i) },
  { on: 'strict', input: 'cost over MAX_COST=10', request: post('{ projects { id name updatedAt } a: projects { id name } b: projects { id name } }'), status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { on: 'strict', input: '__schema with introspection off', request: post('{ __schema { types { name } } }'), status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { on: 'strict', input: '__type with introspection off', request: post('{ __type(name: "Project") { name } }'), status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { on: 'strict', input: 'a misspelt field with introspection off', request: post('{ projectz { id } }'), status: 400, code: 'VALIDATION_ERROR', calls: 0, check: (reply) => expect(reply.text).not.toMatch(/Did you mean|"projects?"/) },
  { on: 'strict', input: 'a misspelt enum variable with introspection off', request: post('query ($m: KnowledgeMode) { context(id: "c-1") { knowledge(query: "x", mode: $m) { id } } }', { variables: { m: 'HYBRIDE' } }), status: 400, code: 'VALIDATION_ERROR', calls: 0, check: (reply) => expect(reply.text).not.toMatch(/Did you mean|"HYBRID"/) },
  {
    // graphql-js quotes the value in its message; removing "Did you mean" from a message with a
    // long run of spaces once took quadratic time (minutes for this one), stalling the gateway.
    on: 'strict',
    input: 'an enum value of 300,000 spaces with introspection off',
    request: post(`{ context(id: "c-1") { knowledge(query: "x", mode: "${' '.repeat(300_000)}") { id } } }`),
    status: 400,
    code: 'VALIDATION_ERROR',
    calls: 0,
    check: (reply) => expect(reply.text).not.toMatch(/Did you mean/),
  },
  // A slow client: the request must have arrived by the deadline. Node's default would wait 5 minutes.
  { on: 'strict', input: 'headers never finished (REQUEST_DEADLINE_MS=1500)', request: { raw: 'POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' }, status: 408, code: 'VALIDATION_ERROR', calls: 0 },
  { on: 'strict', input: 'a body shorter than its Content-Length (REQUEST_DEADLINE_MS=1500)', request: { raw: rawPost(['Authorization: Bearer demo-admin']).replace(/Content-Length: \d+/, 'Content-Length: 5000') }, status: 408, code: 'VALIDATION_ERROR', calls: 0 },
  // No page to serve: a GET asking for HTML is then a GraphQL request like any other.
  { on: 'strict', input: 'GraphiQL with introspection off, no credential', request: { method: 'GET', headers: { accept: 'text/html' } }, status: 401, code: 'UNAUTHENTICATED', calls: 0, check: (reply) => expect(reply.text).not.toMatch(/graphiql/i) },
  { on: 'strict', input: 'GraphiQL with introspection off', request: { method: 'GET', headers: { accept: 'text/html', authorization: 'Bearer demo-admin' } }, status: 406, code: 'VALIDATION_ERROR', calls: 0, check: (reply) => expect(reply.text).not.toMatch(/graphiql/i) },
  { on: 'strict', input: 'a batch of 2 (BATCH_LIMIT=2)', request: { headers: json, body: JSON.stringify([{ query: '{ a: __typename }' }, { query: '{ b: __typename }' }]) }, status: 200, code: null, calls: 0 },
  // Each operation of a batch runs on its own: with one write each, both went out under the one
  // key, and the upstream replayed the first answer for the second.
  {
    on: 'strict',
    input: 'a batch of two writes under one Idempotency-Key header (BATCH_LIMIT=2)',
    request: { headers: { ...json, 'x-graphql-csrf': '1', 'idempotency-key': 'k-batch' }, body: JSON.stringify(['first', 'second'].map((text) => ({ query: `mutation { rememberFact(contextId: "c-1", text: "${text}") { id } }` }))) },
    status: 400,
    code: 'VALIDATION_ERROR',
    calls: 0,
    check: (reply) => expect(reply.text).toMatch(/covers one write/),
  },
  {
    on: 'strict',
    input: 'a batch of one write and one query under an Idempotency-Key header (BATCH_LIMIT=2)',
    request: { headers: { ...json, 'x-graphql-csrf': '1', 'idempotency-key': 'k-batch-one' }, body: JSON.stringify([{ query: 'mutation { rememberFact(contextId: "c-1", text: "only") { id } }' }, { query: '{ a: __typename }' }]) },
    status: 200,
    code: null,
    calls: 1,
  },
  { on: 'strict', input: 'an empty batch (BATCH_LIMIT=2)', request: { headers: json, body: '[]' }, status: 400, code: 'VALIDATION_ERROR', calls: 0 },
  { on: 'strict', input: 'a batch of 3 (BATCH_LIMIT=2)', request: { headers: json, body: JSON.stringify([1, 2, 3].map(() => ({ query: '{ __typename }' }))) }, status: 413, code: 'PAYLOAD_TOO_LARGE', calls: 0 },
  {
    on: 'strict',
    input: 'an allowed Origin preflight',
    request: { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } },
    status: 204,
    code: null,
    calls: 0,
    check: (reply) => {
      expect(reply.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(reply.headers.get('access-control-allow-credentials')).toBe('true');
      expect(reply.headers.get('vary')).toMatch(/\bOrigin\b/);
    },
  },
  {
    // Whatever the Origin, the answer depends on it: a shared cache must key on it.
    on: 'strict',
    input: 'a GET query from an allowed Origin, and one from none, both Vary: Origin',
    request: get('{ __typename }', { 'x-graphql-csrf': '1', origin: 'https://app.example' }),
    status: 200,
    code: null,
    calls: 0,
    check: (reply) => {
      expect(reply.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(reply.headers.get('vary')).toMatch(/\bOrigin\b/);
    },
  },
  { on: 'strict', input: 'a GET query with no Origin says Vary: Origin', request: get('{ __typename }', { 'x-graphql-csrf': '1' }), status: 200, code: null, calls: 0, check: (reply) => expect(reply.headers.get('vary')).toMatch(/\bOrigin\b/) },
  // With an allowlist, yoga's CORS answered every OPTIONS with 204, at any path, preflight or not.
  ...(['/health', '/ready'] as const).map((path): Row => ({
    on: 'strict',
    input: `OPTIONS ${path} with an allowlist: 405 with Allow, as without one`,
    request: { method: 'OPTIONS', path, headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } },
    status: 405,
    code: 'VALIDATION_ERROR',
    calls: 0,
    check: (reply) => expect(reply.headers.get('allow')).toBe('GET, HEAD'),
  })),
  { on: 'strict', input: 'OPTIONS on an unknown path with an allowlist: 404', request: { method: 'OPTIONS', path: '/nope', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } }, status: 404, code: null, calls: 0 },
  {
    on: 'strict',
    input: 'an OPTIONS to /graphql that is no preflight, with an allowlist: 405 with Allow',
    request: { method: 'OPTIONS', headers: {} },
    status: 405,
    code: 'VALIDATION_ERROR',
    calls: 0,
    check: (reply) => expect(reply.headers.get('allow')).toBe('GET, POST'),
  },
  {
    on: 'strict',
    input: 'a batch of two nulls (BATCH_LIMIT=2)',
    request: { headers: { ...json, authorization: 'Bearer batch-of-nulls' }, body: '[null,null]' },
    status: 200,
    code: null, // a batch's answer is a list: its items are checked below
    calls: 0,
    check: (reply) => {
      const items = JSON.parse(reply.text) as Array<{ errors: Array<{ extensions: { code: string } }> }>;
      expect(items.map((item) => item.errors.map((error) => error.extensions.code))).toEqual([['VALIDATION_ERROR'], ['VALIDATION_ERROR']]);
    },
  },
  {
    on: 'strict',
    input: 'a foreign Origin preflight with an allowlist',
    request: { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } },
    status: 204,
    code: null,
    calls: 0,
    check: (reply) => {
      expect(reply.headers.get('access-control-allow-origin')).toBeNull();
      expect(reply.headers.get('vary')).toMatch(/\bOrigin\b/);
    },
  },
];

describe('hostile input', () => {
  it('has at least 40 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
  });

  it.each(rows.map((row) => [row.input, row] as const))('%s', async (_input, row) => {
    const target = row.on === 'strict' ? strict : gateway;
    const before = upstreamCalls(target);
    const port = Number(new URL(target.url).port);
    const reply = 'raw' in row.request ? await sendRaw(port, row.request.raw) : await send(target.url, row.request);

    expect(reply.status).toBe(row.status);
    const errors = reply.text.startsWith('{') ? ((JSON.parse(reply.text) as { errors?: Array<{ extensions: { code: string } }> }).errors ?? []) : [];
    if (row.code === null) expect(errors).toEqual([]);
    else {
      expect(errors.length).toBeGreaterThan(0);
      for (const error of errors) expect(error.extensions.code).toBe(row.code);
    }
    expect(upstreamCalls(target)).toBe(before + row.calls);
    assertNoLeaks(reply.text, reply.headers, row.input);
    row.check?.(reply, target);
  });

  it('refuses an oversized chunked body while it is still arriving', async () => {
    // 2 MB written and the request left open: an answer can only come from a check made while reading.
    const { request } = await import('node:http');
    const reply = await new Promise<number>((resolve, reject) => {
      const req = request(`${gateway.url}/graphql`, { method: 'POST', headers: json, agent: false }, (res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        req.destroy();
      });
      req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
      req.write('{"query":"{ projects { id } }","variables":{"pad":"');
      for (let i = 0; i < 32; i++) req.write('x'.repeat(64 * 1024));
    });
    expect(reply).toBe(413);
  });

  it('stays up after every row', async () => {
    for (const target of [gateway, strict]) {
      const response = await fetch(`${target.url}/health`);
      expect(response.status).toBe(200);
      const reply = await target.graphql('{ project(id: "p-1") { name } }');
      expect(reply.body).toEqual({ data: { project: { name: 'Atlas' } } });
    }
  });
});
