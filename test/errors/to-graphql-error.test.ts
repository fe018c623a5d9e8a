import { buildSchema, graphql, GraphQLError, parse, validate, type ExecutionResult, type GraphQLErrorOptions } from 'graphql';
import { describe, expect, it } from 'vitest';
import { defaultClientMessages, serverMessageFor, statusOfCode, type ErrorCode } from '../../src/errors/codes.js';
import { defaultRetryAfterSeconds, graphQLErrorWithoutStack, sanitizeMessage, toGraphQLError, unexpectedErrorMessage } from '../../src/errors/to-graphql-error.js';
import { UpstreamError, type UpstreamFailure } from '../../src/upstream/failure.js';
import { readErrorReport } from '../../src/upstream/normalize.js';
import { createRecordingLogger } from '../support/recording-logger.js';

const encode = (text: string) => new TextEncoder().encode(text);
const jsonHeaders = { 'content-type': 'application/json' };
const problemHeaders = { 'content-type': 'application/problem+json' };

/** An UpstreamError for an upstream answer, read by the real normalizer. */
function answered(service: string, status: number, body: unknown, headers: Record<string, string> = jsonHeaders): UpstreamError {
  const bytes = typeof body === 'string' ? encode(body) : encode(JSON.stringify(body));
  const report = readErrorReport(status, headers, bytes, () => Date.UTC(2025, 0, 1));
  return new UpstreamError({ service, method: 'GET', path: '/api/v1/things/t-1', failure: { kind: 'response', status, report }, attempts: 1, requestId: 'req-upstream' });
}

function failed(service: string, failure: UpstreamFailure, cause?: unknown): UpstreamError {
  return new UpstreamError({ service, method: 'GET', path: '/api/v1/things/t-1', failure, attempts: 1, cause });
}

const opts = { requestId: 'req-1' };

describe('toGraphQLError: extensions for each canonical code (ERRORS.md §1, §4)', () => {
  it.each<[ErrorCode, () => unknown, string, Record<string, unknown>]>([
    [
      'UNAUTHENTICATED',
      () => answered('workspaces', 401, { code: 'UNAUTHORIZED', message: 'Invalid or expired authentication token.' }),
      'Invalid or expired authentication token.',
      { upstream: { service: 'workspaces', status: 401, code: 'UNAUTHORIZED' } },
    ],
    [
      'FORBIDDEN',
      () => answered('directory', 403, { error: { code: 'insufficient_scope', message: 'Key lacks users:email', requiredScope: 'users:email' } }),
      'Key lacks users:email',
      { upstream: { service: 'directory', status: 403, code: 'insufficient_scope' }, details: { requiredScope: 'users:email' } },
    ],
    [
      'NOT_FOUND',
      () =>
        answered(
          'projects',
          404,
          { type: 'https://problems.example/not-found', title: 'Not Found', status: 404, detail: 'Project p-9 not found', instance: '/api/v1/projects/p-9' },
          { ...problemHeaders, 'x-request-id': 'up-7' },
        ),
      'Project p-9 not found',
      { upstream: { service: 'projects', status: 404, code: 'not_found', type: 'https://problems.example/not-found', title: 'Not Found', instance: '/api/v1/projects/p-9', requestId: 'up-7' } },
    ],
    [
      'VALIDATION_ERROR',
      () =>
        answered(
          'knowledge',
          400,
          { type: 'https://problems.example/bad-request', title: 'Bad Request', status: 400, detail: 'Unknown mode', errors: [{ detail: 'mode must be semantic, keyword or hybrid', pointer: '#/mode' }] },
          problemHeaders,
        ),
      'Unknown mode',
      {
        upstream: { service: 'knowledge', status: 400, code: 'bad_request', type: 'https://problems.example/bad-request', title: 'Bad Request' },
        details: { fieldErrors: [{ field: 'mode', message: 'mode must be semantic, keyword or hybrid' }] },
      },
    ],
    [
      'RATE_LIMITED',
      () => answered('directory', 429, { error: { code: 'rate_limited', message: 'Slow down' } }, { ...jsonHeaders, 'retry-after': '30' }),
      'Slow down',
      { upstream: { service: 'directory', status: 429, code: 'rate_limited' }, retryAfter: 30 },
    ],
    [
      'CONFLICT',
      () => answered('workspaces', 409, { code: 'SYNTHESIS_IN_PROGRESS', message: 'Synthesis is already running for this workspace.' }),
      'Synthesis is already running for this workspace.',
      { upstream: { service: 'workspaces', status: 409, code: 'SYNTHESIS_IN_PROGRESS' } },
    ],
    [
      'QUOTA_EXCEEDED',
      () => answered('workspaces', 402, { code: 'USAGE_LIMIT_EXCEEDED', message: 'Synthesis limit reached.', details: { usage_type: 'synthesis', current: 3, limit: 3, plan: 'trial', upgrade_required: true } }),
      'Synthesis limit reached.',
      { upstream: { service: 'workspaces', status: 402, code: 'USAGE_LIMIT_EXCEEDED' }, details: { current: 3, limit: 3, plan: 'trial' } },
    ],
    [
      'PAYLOAD_TOO_LARGE',
      () => answered('workspaces', 413, { code: 'FILE_TOO_LARGE', message: 'File size (150 MB) exceeds 100 MB limit' }),
      'File size (150 MB) exceeds 100 MB limit',
      { upstream: { service: 'workspaces', status: 413, code: 'FILE_TOO_LARGE' } },
    ],
    [
      'UNSUPPORTED_MEDIA_TYPE',
      () => answered('workspaces', 415, { code: 'UNSUPPORTED_FILE_TYPE', message: 'Executable and script files are not allowed.' }),
      'Executable and script files are not allowed.',
      { upstream: { service: 'workspaces', status: 415, code: 'UNSUPPORTED_FILE_TYPE' } },
    ],
    [
      'UPSTREAM_ERROR',
      () => answered('workspaces', 500, { code: 'SYNTHESIS_FAILED', message: 'Synthesis failed: Agent timed out after 300 seconds.' }),
      'The workspaces service failed',
      { upstream: { service: 'workspaces', status: 500, code: 'SYNTHESIS_FAILED' } },
    ],
    [
      'BAD_GATEWAY',
      () => answered('workspaces', 502, { code: 'BAD_GATEWAY', message: 'Failed to create Stripe customer' }),
      'The workspaces service answered with something unusable',
      { upstream: { service: 'workspaces', status: 502, code: 'BAD_GATEWAY' } },
    ],
    [
      'SERVICE_UNAVAILABLE',
      () => answered('workspaces', 503, { code: 'AGENT_NOT_CONFIGURED', message: 'AI agent is not configured. Please check ANTHROPIC_API_KEY.' }),
      'The workspaces service is unavailable',
      { upstream: { service: 'workspaces', status: 503, code: 'AGENT_NOT_CONFIGURED' } },
    ],
    ['GATEWAY_TIMEOUT', () => failed('projects', { kind: 'timeout' }), 'The projects service did not answer in time', { upstream: { service: 'projects' } }],
    ['INTERNAL_SERVER_ERROR', () => new TypeError("Cannot read properties of undefined (reading 'id')"), 'Unexpected error.', {}],
  ])('maps to %s with its status and the contract members', (code, make, message, rest) => {
    const error = toGraphQLError(make(), opts);
    expect(error.message).toBe(message);
    expect(error.extensions).toEqual({ code, status: statusOfCode[code], requestId: 'req-1', ...rest });
    expect(error.constructor).toBe(GraphQLError);
  });

  it('maps the default override example to CONFLICT with the upstream message', () => {
    const error = toGraphQLError(answered('workspaces', 422, { code: 'SOURCES_NOT_READY', message: '2 source(s) are not yet processed.' }), {
      ...opts,
      overrides: { workspaces: { SOURCES_NOT_READY: 'CONFLICT' } },
    });
    expect(error.message).toBe('2 source(s) are not yet processed.');
    expect(error.extensions).toMatchObject({ code: 'CONFLICT', status: 409, upstream: { service: 'workspaces', status: 422, code: 'SOURCES_NOT_READY' } });
  });

  it('reads a redirect’s body like any answer’s: overridden to a 4xx code, its message is shown', () => {
    const report = readErrorReport(302, jsonHeaders, encode(JSON.stringify({ code: 'moved_code', message: 'This project moved' })));
    const redirect = failed('projects', { kind: 'redirect', status: 302, report });
    expect(toGraphQLError(redirect, opts)).toMatchObject({ message: serverMessageFor('BAD_GATEWAY', 'projects'), extensions: { code: 'BAD_GATEWAY' } });
    const overridden = toGraphQLError(redirect, { ...opts, overrides: { projects: { moved_code: 'NOT_FOUND' } } });
    expect(overridden).toMatchObject({ message: 'This project moved', extensions: { code: 'NOT_FOUND', upstream: { service: 'projects', status: 302, code: 'moved_code' } } });
  });

  it('reads a redirect’s Retry-After when an override makes it RATE_LIMITED', () => {
    const report = readErrorReport(302, { ...jsonHeaders, 'retry-after': '5' }, encode(JSON.stringify({ code: 'teapot', message: 'slow down please' })));
    const redirect = failed('directory', { kind: 'redirect', status: 302, report });
    const overridden = toGraphQLError(redirect, { ...opts, overrides: { directory: { teapot: 'RATE_LIMITED' } } });
    expect(overridden.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 5 });
  });

  it('shows a public Problem type under a deep host name, and hides one under an internal host', () => {
    const problem = (type: string) => answered('projects', 404, { type, title: 'Not found', status: 404, detail: 'No such invoice' }, problemHeaders);
    expect(toGraphQLError(problem('https://errors.api.payments.example.com/problems/not-found'), opts).extensions['upstream']).toMatchObject({ type: 'https://errors.api.payments.example.com/problems/not-found', code: 'not_found' });
    expect(toGraphQLError(problem('https://problems.billing-svc.prod.internal/not-found'), opts).extensions['upstream']).not.toHaveProperty('type');
  });

  it('never shows an upstream request id that is an address', () => {
    const error = toGraphQLError(answered('workspaces', 400, { code: 'BAD', message: 'bad', details: { request_id: '127.0.0.1:5432' } }), opts);
    expect(error.extensions['upstream']).not.toHaveProperty('requestId');
    const shown = toGraphQLError(answered('workspaces', 400, { code: 'BAD', message: 'bad', details: { request_id: 'req-9.a:b' } }), opts);
    expect(shown.extensions['upstream']).toMatchObject({ requestId: 'req-9.a:b' });
  });

  it('uses the UpstreamError’s request id when the options have none', () => {
    expect(toGraphQLError(answered('projects', 404, {})).extensions['requestId']).toBe('req-upstream');
  });

  it('leaves requestId out when nobody knows it yet', () => {
    expect(toGraphQLError(failed('projects', { kind: 'refused' })).extensions).not.toHaveProperty('requestId');
  });
});

describe('toGraphQLError: 4xx messages are the upstream’s, sanitised (ERRORS.md §4)', () => {
  it.each<[string, string, string]>([
    ['removes markup tags and keeps their text', '<b>Name</b> is <i>required</i>', 'Name is required'],
    ['removes script tags', '<script>alert(1)</script>Bad value', 'alert(1) Bad value'],
    ['leaves no tag behind when tags are nested', '<<b>script>alert(1)<</b>/script>', '< script>alert(1)< /script>'],
    ['keeps comparisons that are not tags', 'limit must be < 10 and > 0', 'limit must be < 10 and > 0'],
    ['removes a whole tag whose quoted attribute holds a >', 'See <a title="x>y" href="javascript:alert(1)">the docs</a> for details', 'See the docs for details'],
    ['removes a whole tag whose single-quoted attribute holds a >', "<span data-tip='a > b' onclick=\"steal()\">Name is required</span>", 'Name is required'],
    ['ends a tag whose quote never closes at its first >', 'Bad <a title="x>y value', 'Bad y value'],
    ['removes control characters', 'Bad\u0000 value\u0007', 'Bad value'],
    ['removes terminal colour sequences whole', '\u001b[31mRed error\u001b[0m and bell\u0007 done\u001b[1;4m', 'Red error and bell done'],
    ['removes a terminal title sequence whole', '\u001b]0;build-7 on ci-runner\u0007Bad value', 'Bad value'],
    ['keeps the text after a title sequence that never ends', '\u001b]0;x Bad value', ']0;x Bad value'],
    ['removes invisible formatting: soft hyphens, bidi marks, deprecated format characters', 'a\u00adb\u061cc\u2066d\u206ae\u180ef', 'a b c d e f'],
    ['joins lines into one', 'line one\nline two\r\n\tthree', 'line one line two three'],
    ['removes bidirectional overrides', 'file \u202egpj.exe', 'file gpj.exe'],
    ['collapses whitespace', '  too    many   spaces  ', 'too many spaces'],
    ['keeps HTML entities as text', 'a &lt;b&gt; c', 'a &lt;b&gt; c'],
  ])('%s', (_name, upstreamMessage, expected) => {
    const error = toGraphQLError(answered('workspaces', 400, { code: 'BAD_REQUEST', message: upstreamMessage }), opts);
    expect(error.message).toBe(expected);
  });

  it('caps a 1000-character message at 300 with an ellipsis', () => {
    const error = toGraphQLError(answered('workspaces', 400, { code: 'BAD_REQUEST', message: 'word '.repeat(200) }), opts);
    expect(error.message).toHaveLength(300);
    expect(error.message.endsWith('…')).toBe(true);
  });

  it.each<[string, unknown, ErrorCode]>([
    ['a body without a message', { code: 'NOT_FOUND' }, 'NOT_FOUND'],
    ['an HTML body', '<html><body>Not here</body></html>', 'NOT_FOUND'],
    ['a message that is only markup', { code: 'NOT_FOUND', message: '<br/><hr>' }, 'NOT_FOUND'],
    ['a blank message', { code: 'NOT_FOUND', message: ' \n\t ' }, 'NOT_FOUND'],
  ])('uses the default message for %s', (_name, body, code) => {
    expect(toGraphQLError(answered('workspaces', 404, body), opts).message).toBe(defaultClientMessages[code]);
  });

  it('names the reason of an invalid id without echoing a long id', () => {
    const id = 'x'.repeat(200);
    const error = toGraphQLError(failed('projects', { kind: 'invalid-id', reason: 'an id must not be empty' }), opts);
    expect(error.message).toBe('Invalid id: an id must not be empty.');
    // No `upstream`: no upstream was called, let alone caused it (ERRORS.md §4).
    expect(error.extensions).toEqual({ code: 'VALIDATION_ERROR', status: 400, requestId: 'req-1' });
    const long = toGraphQLError(failed('projects', { kind: 'invalid-id', reason: `the id ${id} is not one segment` }), opts);
    expect(long.message).not.toContain('x'.repeat(65));
  });

  it('names the rule an idempotency key broke, without the key', () => {
    const error = toGraphQLError(failed('knowledge', { kind: 'invalid-key', reason: '1 to 255 printable ASCII characters' }), opts);
    expect(error.message).toBe('Invalid idempotency key: 1 to 255 printable ASCII characters.');
    expect(error.extensions).toEqual({ code: 'VALIDATION_ERROR', status: 400, requestId: 'req-1' });
  });
});

describe('toGraphQLError: 5xx messages never carry upstream text (ERRORS.md §4)', () => {
  it.each<[string, string]>([
    ['SQL', 'ERROR: relation "users" does not exist: SELECT * FROM users WHERE id = 1'],
    ['a host name with a port', 'connect ECONNREFUSED db-primary.internal:5432'],
    ['stack frames', 'TypeError: x is undefined\n    at Object.<anonymous> (/srv/app/src/index.js:10:5)'],
    ['HTML', '<html><body><h1>Internal Server Error</h1><p>nginx/1.25.3</p></body></html>'],
    ['a request id for support', 'Internal error, request id 7f3a-secret-tenant'],
  ])('hides %s', (_name, leak) => {
    const logger = createRecordingLogger();
    const upstream = answered(
      'projects',
      500,
      { type: 'https://problems.example/internal', title: leak, status: 500, detail: leak, instance: leak, errors: [{ detail: leak, pointer: '/x' }], debug: leak },
      problemHeaders,
    );
    const error = toGraphQLError(upstream, { ...opts, logger });
    expect(error.message).toBe(serverMessageFor('UPSTREAM_ERROR', 'projects'));
    const sent = JSON.stringify(error.toJSON());
    for (const fragment of ['users', '5432', '/srv/app', '<h1>', 'nginx', 'secret-tenant']) expect(sent).not.toContain(fragment);
    expect(error.extensions).toEqual({
      code: 'UPSTREAM_ERROR',
      status: 500,
      requestId: 'req-1',
      upstream: { service: 'projects', status: 500, code: 'internal', type: 'https://problems.example/internal' },
    });
    expect(logger.entries).toHaveLength(1);
    expect(logger.entries[0]).toMatchObject({
      level: 'warn',
      message: 'upstream error detail withheld',
      fields: { requestId: 'req-1', service: 'projects', method: 'GET', path: '/api/v1/things/t-1', status: 500, upstreamCode: 'internal', upstreamMessage: leak },
    });
  });

  it.each<[UpstreamFailure, ErrorCode]>([
    [{ kind: 'refused' }, 'SERVICE_UNAVAILABLE'],
    [{ kind: 'reset' }, 'SERVICE_UNAVAILABLE'],
    [{ kind: 'deadline' }, 'GATEWAY_TIMEOUT'],
    [{ kind: 'aborted' }, 'GATEWAY_TIMEOUT'],
    [{ kind: 'too-large', limitBytes: 10 }, 'BAD_GATEWAY'],
    [{ kind: 'invalid-body', status: 200, reason: 'not JSON at db-1.internal:8080' }, 'BAD_GATEWAY'],
    [{ kind: 'malformed' }, 'BAD_GATEWAY'],
    [{ kind: 'redirect', status: 301, report: { dialect: 'none', fieldErrors: [], details: {} } }, 'BAD_GATEWAY'],
    [{ kind: 'circuit-open', retryAfterSeconds: 4 }, 'SERVICE_UNAVAILABLE'],
  ])('gives the fixed sentence for a %o transport failure and logs its facts', (failure, code) => {
    const logger = createRecordingLogger();
    const error = toGraphQLError(failed('knowledge', failure, new Error('connect ECONNREFUSED 10.0.0.8:443')), { ...opts, logger });
    expect(error.message).toBe(serverMessageFor(code, 'knowledge'));
    expect(error.extensions['code']).toBe(code);
    expect(JSON.stringify(error.toJSON())).not.toMatch(/10\.0\.0\.8|internal:8080/);
    expect(logger.entries).toEqual([expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ requestId: 'req-1', failure: failure.kind }) })]);
  });

  it('clips the upstream text it logs to 2,000 characters, the code and type included', () => {
    const logger = createRecordingLogger();
    const long = 'aB'.repeat(500_000);
    toGraphQLError(answered('projects', 500, { type: long, title: long, status: 500, detail: long, instance: long, code: long }, problemHeaders), { ...opts, logger });
    const fields = logger.entries[0]!.fields as Record<string, unknown>;
    for (const name of ['upstreamCode', 'upstreamType', 'upstreamMessage', 'upstreamTitle', 'upstreamInstance']) {
      expect(fields[name], name).toBe(`${long.slice(0, 2_000)}…`);
    }
  });

  it('logs hidden details and field errors as they are, or as their JSON cut to 2,000 characters', () => {
    const logger = createRecordingLogger();
    const trace = 'x'.repeat(100_000);
    toGraphQLError(answered('workspaces', 500, { code: 'SYNTHESIS_FAILED', message: 'm', details: { trace }, errors: [{ field: 'a', message: trace }] }), { ...opts, logger });
    toGraphQLError(answered('workspaces', 500, { code: 'SYNTHESIS_FAILED', message: 'm', details: { trace: 'short' } }), { ...opts, logger });
    const [long, short] = logger.entries.map((entry) => entry.fields as Record<string, unknown>);
    expect(long!['details']).toBe(`${JSON.stringify({ trace }).slice(0, 2_000)}…`);
    expect(long!['fieldErrors']).toBe(`${JSON.stringify([{ field: 'a', message: trace }]).slice(0, 2_000)}…`);
    expect(short!['details']).toEqual({ trace: 'short' });
  });

  it('logs withheld detail once, however often the same failure is mapped', () => {
    const logger = createRecordingLogger();
    const upstream = answered('workspaces', 500, { code: 'SYNTHESIS_FAILED', message: 'Agent timed out' });
    toGraphQLError(upstream, { ...opts, logger });
    toGraphQLError(new GraphQLError('wrapped', { originalError: upstream, path: ['a'] }), { ...opts, logger });
    expect(logger.entries).toHaveLength(1);
  });

  it('logs withheld detail once in each request a shared failure reaches, under that request id', () => {
    const logger = createRecordingLogger();
    const upstream = answered('workspaces', 500, { code: 'SYNTHESIS_FAILED', message: 'Agent timed out' });
    for (const requestId of ['req-a', 'req-b', 'req-a']) toGraphQLError(upstream, { requestId, logger });
    expect(logger.entries.map((entry) => entry.fields['requestId'])).toEqual(['req-a', 'req-b']);
  });

  it('maps a failure met again as it did the first time, with the request id and path of the new meeting', () => {
    const upstream = answered('directory', 404, { error: { code: 'not_found', message: 'User u-9 not found' } });
    const first = toGraphQLError(new GraphQLError('wrapped', { originalError: upstream, path: ['a'] }), { requestId: 'req-a' });
    const again = toGraphQLError(new GraphQLError('wrapped', { originalError: upstream, path: ['b', 0] }), { requestId: 'req-b' });
    expect(again.toJSON()).toEqual({ ...first.toJSON(), path: ['b', 0], extensions: { ...first.extensions, requestId: 'req-b' } });
    // Other overrides (another gateway's configuration) map it anew.
    expect(toGraphQLError(upstream, { requestId: 'req-c', overrides: { directory: { not_found: 'FORBIDDEN' } } }).extensions['code']).toBe('FORBIDDEN');
    expect(toGraphQLError(upstream, { requestId: 'req-d' }).extensions['code']).toBe('NOT_FOUND');
  });

  it('maps one report met in several failures once per service and status, each with its own request, log line and path', () => {
    // What a client's report reader does with the same answer read twice (`upstream/error-reports.ts`).
    const report = readErrorReport(503, jsonHeaders, encode(JSON.stringify({ code: 'DOWN', message: 'db01.internal is down' })));
    const failure = (service: string, status = 503) =>
      new UpstreamError({ service, method: 'GET', path: '/api/v1/things/t-1', failure: { kind: 'response', status, report }, attempts: 1 });
    const logger = createRecordingLogger();
    const first = toGraphQLError(failure('workspaces'), { requestId: 'req-a', logger });
    const second = toGraphQLError(new GraphQLError('wrapped', { originalError: failure('workspaces'), path: ['b'] }), { requestId: 'req-b', logger });
    expect(second.toJSON()).toEqual({ ...first.toJSON(), path: ['b'], extensions: { ...first.extensions, requestId: 'req-b' } });
    // Each failure's withheld detail is logged, under its own request.
    expect(logger.entries.map((entry) => entry.fields['requestId'])).toEqual(['req-a', 'req-b']);
    // Another service, another status: mapped anew, not taken from the first.
    const elsewhere = toGraphQLError(failure('directory'), { requestId: 'req-c' });
    expect(elsewhere.message).toBe(serverMessageFor('SERVICE_UNAVAILABLE', 'directory'));
    expect(elsewhere.extensions['upstream']).toEqual({ service: 'directory', status: 503, code: 'DOWN' });
    const asA502 = toGraphQLError(failure('workspaces', 502), { requestId: 'req-d' });
    expect(asA502.extensions).toMatchObject({ code: 'BAD_GATEWAY', upstream: { status: 502 } });
  });

  it('puts withheld detail under extensions.debug only when asked', () => {
    const upstream = answered('workspaces', 500, { code: 'SYNTHESIS_FAILED', message: 'Agent timed out' });
    expect(toGraphQLError(upstream, opts).extensions).not.toHaveProperty('debug');
    expect(toGraphQLError(upstream, { ...opts, exposeDetail: true }).extensions['debug']).toMatchObject({ upstreamMessage: 'Agent timed out' });
  });
});

describe('toGraphQLError: details keep client-safe keys only (ERRORS.md §4)', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown> | undefined]>([
    [
      'keeps usage figures and drops everything else',
      { usage_type: 'synthesis', current: 3, limit: 3, plan: 'trial', upgrade_required: true, stack: 'at x (/srv/a.js:1:1)', sql: 'SELECT 1', host: 'db.internal' },
      { current: 3, limit: 3, plan: 'trial' },
    ],
    ['reads valid_transitions as validTransitions', { valid_transitions: ['accepted', 'rejected'] }, { validTransitions: ['accepted', 'rejected'] }],
    ['reads validTransitions', { validTransitions: ['accepted'] }, { validTransitions: ['accepted'] }],
    // No transition is possible: said, not left out, so a client can tell it from "not said".
    ['keeps an empty list of valid transitions', { valid_transitions: [] }, { validTransitions: [] }],
    ['drops a list whose every transition looks internal, rather than show it empty', { valid_transitions: ['SELECT * FROM t'] }, undefined],
    ['reads VALID_TRANSITIONS', { VALID_TRANSITIONS: ['accepted'] }, { validTransitions: ['accepted'] }],
    ['reads valid-transitions given as one comma-separated string', { 'valid-transitions': 'accepted, rejected' }, { validTransitions: ['accepted', 'rejected'] }],
    ['reads required_scope as requiredScope', { required_scope: 'users:email' }, { requiredScope: 'users:email' }],
    ['keeps a list of required scopes', { requiredScope: ['users:email', 'users:read'] }, { requiredScope: ['users:email', 'users:read'] }],
    ['drops usage figures that are not numbers', { current: '3', limit: null, plan: 42 }, undefined],
    ['sanitises detail text', { plan: '<b>trial</b>\n', valid_transitions: ['<i>accepted</i>', 7] }, { plan: 'trial', validTransitions: ['accepted'] }],
    ['leaves details out when nothing is client-safe', { internal: 'yes', query: 'SELECT' }, undefined],
    ['ignores a __proto__ member', JSON.parse('{"__proto__": {"current": 1}}') as Record<string, unknown>, undefined],
  ])('%s', (_name, details, expected) => {
    const error = toGraphQLError(answered('workspaces', 400, { code: 'INVALID_STATUS_TRANSITION', message: 'Cannot transition', details }), opts);
    if (expected === undefined) expect(error.extensions).not.toHaveProperty('details');
    else expect(error.extensions['details']).toEqual(expected);
  });

  it('sanitises field errors and drops those left without a field', () => {
    const body = { errors: [{ detail: '<b>too short</b>', source: { pointer: '/data/attributes/name' } }, { detail: 'x', field: '\u0000' }, { field: 'q' }] };
    const error = toGraphQLError(answered('knowledge', 422, body), opts);
    expect(error.extensions['details']).toEqual({
      fieldErrors: [
        { field: 'data.attributes.name', message: 'too short' },
        { field: 'q', message: 'Invalid value.' },
      ],
    });
  });

  it('keeps field errors at any depth, JSON:API and Problem Details alike', () => {
    const list = { errors: [{ code: 'invalid_argument', detail: 'City is required', source: { pointer: '/data/attributes/address/city' } }, { detail: 'Name is too short', source: { pointer: '/data/attributes/name' } }] };
    expect(toGraphQLError(answered('knowledge', 422, list), opts).extensions['details']).toEqual({
      fieldErrors: [
        { field: 'data.attributes.address.city', message: 'City is required' },
        { field: 'data.attributes.name', message: 'Name is too short' },
      ],
    });
    const problem = { type: 'https://example.com/probs/invalid', title: 'Invalid', status: 422, errors: [{ detail: 'must be a string', pointer: '#/order/items/0/sku' }, { detail: 'required', field: 'shipping.lines[1].address' }] };
    expect(toGraphQLError(answered('projects', 422, problem, { 'content-type': 'application/problem+json' }), opts).extensions['details']).toEqual({
      fieldErrors: [
        { field: 'order.items.0.sku', message: 'must be a string' },
        { field: 'shipping.lines[1].address', message: 'required' },
      ],
    });
  });

  it('keeps field errors whose paths hold digits and hyphens', () => {
    const fields = ['shipping.address.line1.city', 'data.attributes.billing-address.post-code', 'spec.containers.0.image-pull-policy'];
    const error = toGraphQLError(answered('knowledge', 422, { errors: fields.map((field) => ({ detail: 'bad', field })) }), opts);
    expect(error.extensions['details']).toEqual({ fieldErrors: fields.map((field) => ({ field, message: 'bad' })) });
  });

  it('drops a field error whose field names a file or an internal host', () => {
    const hosts = ['db-1.internal:5432', 'mysql-01.eu-west.acme-corp.net', 'db-1.internal', 'redis.prod.svc.cluster.local', 'prod-db.cluster-abc123.us-east-1.rds.amazonaws.com'];
    const body = { errors: [{ detail: 'bad', field: 'C:\\inetpub\\web.config' }, ...hosts.map((field) => ({ detail: 'bad', field })), { detail: 'ok', field: 'name' }] };
    expect(toGraphQLError(answered('knowledge', 422, body), opts).extensions['details']).toEqual({ fieldErrors: [{ field: 'name', message: 'ok' }] });
  });

  it('gives the usage figures of a nested error\'s details object', () => {
    const error = toGraphQLError(answered('directory', 402, { error: { code: 'quota_exceeded', message: 'Over', details: { current: 5, limit: 5, plan: 'free' } } }), opts);
    expect(error.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', details: { current: 5, limit: 5, plan: 'free' } });
  });

  it('logs the details it withholds on a 4xx', () => {
    const logger = createRecordingLogger();
    toGraphQLError(answered('workspaces', 402, { code: 'USAGE_LIMIT_EXCEEDED', message: 'Limit', details: { current: 3, upgrade_required: true } }), { ...opts, logger });
    expect(logger.entries).toEqual([expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ details: { upgrade_required: true } }) })]);
  });

  it('logs nothing when a 4xx hides nothing', () => {
    const logger = createRecordingLogger();
    toGraphQLError(answered('workspaces', 404, { code: 'NOT_FOUND', message: 'Workspace w-1 not found' }), { ...opts, logger });
    expect(logger.entries).toEqual([]);
  });

  it('gives no details on a 5xx', () => {
    const error = toGraphQLError(answered('workspaces', 500, { code: 'SYNTHESIS_FAILED', message: 'x', details: { current: 1, plan: 'trial' } }), opts);
    expect(error.extensions).not.toHaveProperty('details');
  });
});

describe('toGraphQLError: retryAfter (ERRORS.md §4)', () => {
  it.each<[string, () => UpstreamError, number | undefined]>([
    ['is the upstream’s Retry-After on RATE_LIMITED', () => answered('directory', 429, {}, { 'retry-after': '17' }), 17],
    ['is the body’s retry_after on RATE_LIMITED', () => answered('workspaces', 429, { code: 'RATE_LIMIT_EXCEEDED', message: 'slow', details: { retry_after: 12 } }), 12],
    ['defaults to 60 on RATE_LIMITED when the upstream gave none', () => answered('directory', 429, {}), defaultRetryAfterSeconds],
    ['is the upstream’s value on SERVICE_UNAVAILABLE', () => answered('knowledge', 503, {}, { 'retry-after': '8' }), 8],
    ['is absent on SERVICE_UNAVAILABLE when the upstream gave none', () => answered('knowledge', 503, {}), undefined],
    ['is the time to the next probe when the circuit is open', () => failed('knowledge', { kind: 'circuit-open', retryAfterSeconds: 6 }), 6],
    ['is absent when the connection was refused', () => failed('knowledge', { kind: 'refused' }), undefined],
    ['is absent on other codes even when sent', () => answered('knowledge', 404, {}, { 'retry-after': '5' }), undefined],
    ['is absent on UPSTREAM_ERROR even when sent', () => answered('knowledge', 500, {}, { 'retry-after': '5' }), undefined],
  ])('%s', (_name, make, expected) => {
    const extensions = toGraphQLError(make(), opts).extensions;
    if (expected === undefined) expect(extensions).not.toHaveProperty('retryAfter');
    else expect(extensions['retryAfter']).toBe(expected);
  });
});

describe('toGraphQLError: upstream members (ERRORS.md §4)', () => {
  const problem = (status: number) => ({ type: 'https://problems.example/thing', title: 'Thing', status, detail: 'Thing happened', instance: '/api/v1/things/t-1', code: 'THING' });
  it.each<[string, () => UpstreamError, Record<string, unknown>]>([
    [
      'has every member the body had on a 4xx',
      () => answered('knowledge', 409, problem(409), { ...problemHeaders, 'x-request-id': 'up-1' }),
      { service: 'knowledge', status: 409, code: 'THING', type: 'https://problems.example/thing', title: 'Thing', instance: '/api/v1/things/t-1', requestId: 'up-1' },
    ],
    [
      'has no free text (title, instance) on a 5xx',
      () => answered('knowledge', 503, problem(503), { ...problemHeaders, 'x-request-id': 'up-1' }),
      { service: 'knowledge', status: 503, code: 'THING', type: 'https://problems.example/thing', requestId: 'up-1' },
    ],
    ['has only the service for a transport failure', () => failed('knowledge', { kind: 'reset' }), { service: 'knowledge' }],
    ['has the status of a redirect', () => failed('knowledge', { kind: 'redirect', status: 302, report: { dialect: 'none', fieldErrors: [], details: {} } }), { service: 'knowledge', status: 302 }],
    ['has the status of an answer with an unusable body', () => failed('knowledge', { kind: 'invalid-body', status: 200, reason: 'not JSON' }), { service: 'knowledge', status: 200 }],
    ['has the status of a 304 nobody asked for', () => failed('knowledge', { kind: 'invalid-body', status: 304, reason: '304 to an unconditional request' }), { service: 'knowledge', status: 304 }],
    ['has no code when the body had none', () => answered('knowledge', 404, 'Not Found'), { service: 'knowledge', status: 404 }],
    ['leaves out a code too long to be one', () => answered('knowledge', 400, { code: 'X'.repeat(600), message: 'm' }), { service: 'knowledge', status: 400 }],
    ['leaves out a code with control characters or spaces: not an identifier', () => answered('knowledge', 400, { code: 'BAD\nCODE', message: 'm' }), { service: 'knowledge', status: 400 }],
    [
      'leaves out free text sent as a code on a 5xx',
      () => answered('knowledge', 500, { error: 'Deadlock found when trying to get lock; try restarting transaction' }),
      { service: 'knowledge', status: 500 },
    ],
    [
      'leaves out a Problem type that is free text on a 5xx',
      () => answered('knowledge', 500, { type: 'Connection to primary db failed after 3 retries', title: 'x', status: 500, detail: 'd' }, problemHeaders),
      { service: 'knowledge', status: 500 },
    ],
    [
      'leaves out a Problem type with free text after its URI',
      () => answered('knowledge', 503, { type: 'https://example.com/errors/NullPointerException at com.acme.Foo', status: 503 }, problemHeaders),
      { service: 'knowledge', status: 503 },
    ],
    [
      'keeps the code and request id a redirect’s body and headers had',
      () => failed('knowledge', { kind: 'redirect', status: 302, report: readErrorReport(302, { 'x-request-id': 'redir-77', ...jsonHeaders }, encode(JSON.stringify({ code: 'moved_code', message: 'This project moved' }))) }),
      { service: 'knowledge', status: 302, code: 'moved_code', requestId: 'redir-77' },
    ],
    ['has no status for an id an earlier answer gave that no call could use', () => failed('projects', { kind: 'invalid-body', reason: 'an id in its answer cannot be a path segment' }), { service: 'projects' }],
    ['keeps the request id of an answer with an unusable body', () => failed('knowledge', { kind: 'invalid-body', status: 200, reason: 'not JSON', upstreamRequestId: 'inv-1' }), { service: 'knowledge', status: 200, requestId: 'inv-1' }],
    ['keeps a code of any identifier shape', () => answered('knowledge', 409, { code: 'urn:acme:Sync-In.Progress/2', message: 'm' }), { service: 'knowledge', status: 409, code: 'urn:acme:Sync-In.Progress/2' }],
  ])('%s', (_name, make, expected) => {
    expect(toGraphQLError(make(), opts).extensions['upstream']).toEqual(expected);
  });
});

describe('toGraphQLError: located errors and GraphQL errors', () => {
  const schema = buildSchema('type Query { project: Project } type Project { id: ID!, owner: User } type User { name: String }');
  const source = '{ project { id owner { name } } }';

  async function executeWith(thrown: () => unknown): Promise<GraphQLError> {
    const result: ExecutionResult = await graphql({
      schema,
      source,
      rootValue: { project: { id: 'p-1', owner: () => Promise.reject(thrown()) } },
    });
    expect(result.data).toEqual({ project: { id: 'p-1', owner: null } });
    return result.errors![0]!;
  }

  it('keeps the path and locations of a resolver’s upstream failure', async () => {
    const located = await executeWith(() => answered('directory', 404, { error: { code: 'not_found', message: 'User u-9 not found' } }));
    const error = toGraphQLError(located, opts);
    expect(error.toJSON()).toEqual({
      message: 'User u-9 not found',
      path: ['project', 'owner'],
      locations: [{ line: 1, column: 16 }],
      extensions: { code: 'NOT_FOUND', status: 404, requestId: 'req-1', upstream: { service: 'directory', status: 404, code: 'not_found' } },
    });
    expect(error.constructor).toBe(GraphQLError);
  });

  it('moves a contract error thrown by a resolver to the field’s path', async () => {
    const contract = toGraphQLError(answered('directory', 403, { error: { code: 'forbidden', message: 'Not your org' } }), opts);
    const error = toGraphQLError(await executeWith(() => contract), opts);
    expect(error.message).toBe('Not your org');
    expect(error.path).toEqual(['project', 'owner']);
    expect(error.locations).toEqual([{ line: 1, column: 16 }]);
    expect(error.extensions).toEqual(contract.extensions);
  });

  it('masks a bug in a resolver and keeps its path', async () => {
    const logger = createRecordingLogger();
    const located = await executeWith(() => new Error('password=hunter2 in /srv/app/db.ts'));
    const error = toGraphQLError(located, { ...opts, logger });
    expect(error.toJSON()).toEqual({
      message: unexpectedErrorMessage,
      path: ['project', 'owner'],
      locations: [{ line: 1, column: 16 }],
      extensions: { code: 'INTERNAL_SERVER_ERROR', status: 500, requestId: 'req-1' },
    });
    expect(logger.entries).toHaveLength(1);
    const [entry] = logger.entries;
    expect(entry).toMatchObject({ level: 'error', message: 'unexpected error', fields: { requestId: 'req-1' } });
    expect(entry!.fields['err']).toMatchObject({ message: 'password=hunter2 in /srv/app/db.ts', stack: expect.stringContaining('password=hunter2') });
  });

  it('gives a validation error VALIDATION_ERROR and keeps its message and locations', () => {
    const [invalid] = validate(schema, parse('{ project { nope } }'));
    const error = toGraphQLError(invalid, opts);
    expect(error.toJSON()).toEqual({
      message: 'Cannot query field "nope" on type "Project".',
      locations: [{ line: 1, column: 13 }],
      extensions: { code: 'VALIDATION_ERROR', status: 400, requestId: 'req-1' },
    });
  });

  it('gives a syntax error VALIDATION_ERROR and keeps its location', () => {
    let syntax: unknown;
    try {
      parse('{ project {');
    } catch (error) {
      syntax = error;
    }
    const error = toGraphQLError(syntax, opts);
    expect(error.message).toMatch(/^Syntax Error/);
    expect(error.locations).toEqual([{ line: 1, column: 12 }]);
    expect(error.extensions).toEqual({ code: 'VALIDATION_ERROR', status: 400, requestId: 'req-1' });
  });

  it('keeps a canonical code and extensions.http of a request-level error', () => {
    const given = new GraphQLError('Missing or malformed credentials.', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    expect(toGraphQLError(given, opts).extensions).toEqual({ code: 'UNAUTHENTICATED', status: 401, requestId: 'req-1', http: { status: 401 } });
  });

  it('masks the message of an INTERNAL_SERVER_ERROR made elsewhere', () => {
    const logger = createRecordingLogger();
    const given = new GraphQLError('pool exhausted at db.internal:5432', { path: ['a'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    const error = toGraphQLError(given, { ...opts, logger });
    expect(error.toJSON()).toEqual({ message: 'Unexpected error.', path: ['a'], extensions: { code: 'INTERNAL_SERVER_ERROR', status: 500, requestId: 'req-1' } });
    expect(logger.entries).toEqual([expect.objectContaining({ level: 'error', fields: expect.objectContaining({ err: expect.objectContaining({ message: 'pool exhausted at db.internal:5432' }) }) })]);
    expect(toGraphQLError(error, { requestId: 'req-2' }).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', status: 500, requestId: 'req-2' });
  });

  it('replaces a code that is not canonical with VALIDATION_ERROR and drops foreign extensions', () => {
    const given = new GraphQLError('Bad input', { extensions: { code: 'BAD_USER_INPUT', hint: 'x', originalError: { message: 'at /srv/x.ts' } } });
    expect(toGraphQLError(given, opts).extensions).toEqual({ code: 'VALIDATION_ERROR', status: 400, requestId: 'req-1' });
  });

  it('keeps the http steering yoga reads for the response status', () => {
    const given = new GraphQLError('Unauthorized', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    expect(toGraphQLError(given, opts).extensions).toEqual({ code: 'UNAUTHENTICATED', status: 401, requestId: 'req-1', http: { status: 401 } });
  });

  it('adds the request id to a contract error made before it was known', () => {
    const early = toGraphQLError(answered('projects', 404, { code: 'NOT_FOUND', message: 'gone' }));
    const late = toGraphQLError(early, { requestId: 'req-9' });
    expect(late.extensions).toEqual({ ...early.extensions, requestId: 'req-9' });
    expect(late.message).toBe('gone');
  });
});

describe('toGraphQLError: unexpected throws are masked (ERRORS.md §4)', () => {
  const hostile = {
    toString() {
      throw new Error('no');
    },
  };
  it.each<[string, unknown]>([
    ['an Error', new Error('SELECT * FROM secrets')],
    ['a string', 'db down at 10.1.2.3'],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['an object whose toString throws', hostile],
    ['a GraphQLError wrapping a plain Error', new GraphQLError('boom', { originalError: new Error('boom') })],
  ])('masks %s as Unexpected error.', (_name, thrown) => {
    const logger = createRecordingLogger();
    const error = toGraphQLError(thrown, { ...opts, logger });
    expect(error.message).toBe('Unexpected error.');
    expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', status: 500, requestId: 'req-1' });
    expect(error.constructor).toBe(GraphQLError);
    expect(logger.entries).toEqual([expect.objectContaining({ level: 'error', message: 'unexpected error', fields: expect.objectContaining({ requestId: 'req-1' }) })]);
  });

  it('logs the stack of an Error', () => {
    const logger = createRecordingLogger();
    const thrown = new Error('SELECT * FROM secrets');
    toGraphQLError(thrown, { ...opts, logger });
    expect(logger.entries[0]!.fields['err']).toEqual({ name: 'Error', message: 'SELECT * FROM secrets', stack: thrown.stack });
  });

  it('shows the withheld message under extensions.debug only when asked', () => {
    const error = toGraphQLError(new Error('SELECT * FROM secrets'), { ...opts, exposeDetail: true });
    expect(error.message).toBe('Unexpected error.');
    expect(error.extensions['debug']).toMatchObject({ message: 'SELECT * FROM secrets' });
  });

  it('works without a logger', () => {
    expect(toGraphQLError(new Error('x')).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', status: 500 });
  });
});

describe('graphQLErrorWithoutStack: the GraphQLError graphql-js would make, without its constructor', () => {
  const document = parse('query Q {\n  project(id: "p-1") {\n    id\n  }\n  other: project(id: "p-2") { id }\n}');
  const operation = document.definitions[0]!;
  const [first, second] = 'selectionSet' in operation ? operation.selectionSet.selections : [];
  const source = document.loc!.source;
  const cause = Object.assign(new Error('cause'), { extensions: { code: 'FROM_CAUSE' } });

  /** Own properties as graphql-js leaves them: value and whether a client's spread or `Object.keys` sees it. */
  const ownProperties = (error: GraphQLError) =>
    Object.fromEntries(
      Object.entries(Object.getOwnPropertyDescriptors(error))
        .filter(([key]) => key !== 'stack')
        .map(([key, descriptor]) => [key, { value: descriptor.value, enumerable: descriptor.enumerable, writable: descriptor.writable }]),
    );

  it.each<[string, GraphQLErrorOptions]>([
    ['nothing but a message', {}],
    ['one node and a path', { nodes: first!, path: ['project'], extensions: { code: 'NOT_FOUND' } }],
    ['two nodes on two lines', { nodes: [first!, second!], path: ['other', 0, 'id'] }],
    ['a source and positions', { source, positions: [12, 40], extensions: { code: 'VALIDATION_ERROR' } }],
    ['an empty list of nodes', { nodes: [], path: [] }],
    ['an original error with extensions', { originalError: cause, path: ['project'] }],
  ])('matches new GraphQLError for %s', (_, options) => {
    const expected = new GraphQLError('Something failed.', options);
    const made = graphQLErrorWithoutStack('Something failed.', options);
    expect(made).toBeInstanceOf(GraphQLError);
    expect(made.constructor).toBe(GraphQLError);
    expect(ownProperties(made)).toEqual(ownProperties(expected));
    expect(Object.keys(made)).toEqual(Object.keys(expected));
    expect(made.toJSON()).toEqual(expected.toJSON());
    expect(JSON.stringify(made)).toBe(JSON.stringify(expected));
    expect(String(made)).toBe(String(expected));
    expect(Object.prototype.toString.call(made)).toBe('[object GraphQLError]');
    expect(made.stack).toBe('GraphQLError: Something failed.');
  });
});

describe('sanitizeMessage', () => {
  it.each<[string, number | undefined, string]>([
    ['plain text', undefined, 'plain text'],
    ['a > b, then <b>bold</b>', undefined, 'a > b, then bold'],
    [' padded\tand  spaced ', undefined, 'padded and spaced'],
    ['<p>para</p><p>graph</p>', undefined, 'para graph'],
    ['a\u2028b\u2029c', undefined, 'a b c'],
    ['abcdef', 4, 'abc…'],
    ['ab   cdef', 4, 'ab…'],
    // Characters are code points: three emoji fit in 4, five are cut to three and `…`.
    ['\ud83d\ude00\ud83d\ude00\ud83d\ude00', 4, '\ud83d\ude00\ud83d\ude00\ud83d\ude00'],
    ['\ud83d\ude00\ud83d\ude00\ud83d\ude00\ud83d\ude00\ud83d\ude00', 4, '\ud83d\ude00\ud83d\ude00\ud83d\ude00…'],
    ['\ud83d\ude00'.repeat(200), undefined, '\ud83d\ude00'.repeat(200)],
    ['lone \ud800 surrogate', undefined, 'lone surrogate'],
    ['x', 0, ''],
  ])('sanitises %j (max %j) to %j', (text, max, expected) => {
    expect(sanitizeMessage(text, max)).toBe(expected);
  });

  it('stays fast and bounded on a megabyte of tag openers', () => {
    const message = sanitizeMessage('<'.repeat(1_000_000));
    expect(message.length).toBeLessThanOrEqual(300);
  });

  // Quoted attribute values may hold `<` and `>`: none of these units may make a scan go back
  // over the text from every `<` (a regression shows as this test timing out).
  it.each([['<a"'], ['<a "<a '], ["<a'\"<b"], ['<a"<b""'], ['<a x="1" '], ['<!--"'], ['\u001b[1;'], ['\u001b]x']])(
    'cleans %j repeated over the whole scanned length 100 times without stalling',
    (unit) => {
      const text = unit.repeat(10_000);
      for (let i = 0; i < 100; i++) expect(sanitizeMessage(text).length).toBeLessThanOrEqual(300);
    },
    10_000,
  );

  it('marks a message cut before scanning even when what is left fits', () => {
    const message = sanitizeMessage(`short${'<br>'.repeat(10_000)}`);
    expect(message).toMatch(/^short.*…$/);
    expect(message).not.toContain('<');
  });
});
