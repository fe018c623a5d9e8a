import { describe, expect, it } from 'vitest';
import { fieldNameFromPointer, maxDetailMembers, maxFieldErrors } from '../../src/upstream/dialects/dialect-reader.js';
import { codeFromType } from '../../src/upstream/dialects/problem.js';
import type { UpstreamErrorReport } from '../../src/upstream/failure.js';
import { maxRetryAfterSeconds, parseRetryAfter, readErrorReport } from '../../src/upstream/normalize.js';

const encode = (text: string) => new TextEncoder().encode(text);
const json = (value: unknown) => encode(JSON.stringify(value));
const jsonHeaders = { 'content-type': 'application/json' };
const problemHeaders = { 'content-type': 'application/problem+json; charset=utf-8' };
const now = Date.UTC(2025, 0, 1, 0, 0, 0);
const clock = () => now;

describe('readErrorReport: dialects (ERRORS.md §3)', () => {
  it.each<[string, number, Record<string, string>, unknown, Partial<UpstreamErrorReport>]>([
    [
      'reads Problem Details recognised by application/problem+json',
      404,
      problemHeaders,
      { type: 'https://problems.example/not-found', title: 'Not Found', status: 404, detail: 'Project p-9 not found', instance: '/api/v1/projects/p-9' },
      { dialect: 'problem', code: 'not_found', message: 'Project p-9 not found', problemType: 'https://problems.example/not-found', title: 'Not Found', instance: '/api/v1/projects/p-9', fieldErrors: [], details: {} },
    ],
    [
      'recognises Problem Details by a type and a numeric status under application/json',
      403,
      jsonHeaders,
      { type: 'https://problems.example/forbidden', status: 403, detail: 'Agent keys cannot manage contexts' },
      { dialect: 'problem', code: 'forbidden', message: 'Agent keys cannot manage contexts', problemType: 'https://problems.example/forbidden' },
    ],
    [
      'recognises Problem Details by a title and a numeric status, and falls back to the title as message',
      409,
      {},
      { title: 'Context already exists', status: 409 },
      { dialect: 'problem', code: undefined, message: 'Context already exists', title: 'Context already exists' },
    ],
    [
      'prefers the code extension member over the type for a Problem code',
      400,
      problemHeaders,
      { type: 'https://problems.example/validation', title: 'Bad Request', status: 400, detail: 'Unknown mode', code: 'INVALID_MODE' },
      { dialect: 'problem', code: 'INVALID_MODE', message: 'Unknown mode' },
    ],
    [
      'gives no code for an about:blank Problem type',
      429,
      problemHeaders,
      { type: 'about:blank', title: 'Too Many Requests', status: 429 },
      { dialect: 'problem', code: undefined, message: 'Too Many Requests', problemType: 'about:blank' },
    ],
    [
      'keeps Problem extension members as details',
      429,
      problemHeaders,
      { type: 'https://problems.example/rate-limited', title: 'Too Many Requests', status: 429, detail: 'Token budget spent', budget: 'tokens', retry_after: 7 },
      { dialect: 'problem', code: 'rate_limited', details: { budget: 'tokens', retry_after: 7 } },
    ],
    [
      'reads an RFC 9457 errors array as field errors with folded pointers',
      400,
      problemHeaders,
      {
        type: 'https://problems.example/bad-request',
        title: 'Bad Request',
        status: 400,
        detail: 'Invalid query',
        errors: [
          { detail: 'Unknown mode "fuzzy"', pointer: '#/mode' },
          { message: 'Must not be empty', field: 'q' },
          { detail: 'Too short', source: { pointer: '/data/attributes/name' } },
          { detail: 'names no field' },
        ],
      },
      {
        dialect: 'problem',
        code: 'bad_request',
        message: 'Invalid query',
        fieldErrors: [
          { field: 'mode', message: 'Unknown mode "fuzzy"' },
          { field: 'q', message: 'Must not be empty' },
          { field: 'data.attributes.name', message: 'Too short' },
        ],
        details: {},
      },
    ],
    [
      'reads the flat coded dialect with its details object',
      402,
      jsonHeaders,
      { code: 'USAGE_LIMIT_EXCEEDED', message: 'Synthesis limit reached for your plan.', details: { usage_type: 'synthesis', current: 3, limit: 3, plan: 'trial', upgrade_required: true } },
      { dialect: 'flat', code: 'USAGE_LIMIT_EXCEEDED', message: 'Synthesis limit reached for your plan.', details: { usage_type: 'synthesis', current: 3, limit: 3, plan: 'trial', upgrade_required: true }, fieldErrors: [] },
    ],
    [
      'reads the flat coded dialect without details',
      409,
      jsonHeaders,
      { code: 'SYNTHESIS_IN_PROGRESS', message: 'Synthesis is already running for this workspace.' },
      { dialect: 'flat', code: 'SYNTHESIS_IN_PROGRESS', message: 'Synthesis is already running for this workspace.', details: {} },
    ],
    [
      'reads the nested coded dialect and keeps the other members of error',
      403,
      jsonHeaders,
      { error: { code: 'insufficient_scope', message: 'This key lacks users:email', requiredScope: 'users:email' } },
      { dialect: 'nested', code: 'insufficient_scope', message: 'This key lacks users:email', details: { requiredScope: 'users:email' }, fieldErrors: [] },
    ],
    [
      'reads a nested error with a numeric code by its string status',
      400,
      jsonHeaders,
      { error: { code: 400, message: 'Invalid page size', status: 'INVALID_ARGUMENT' } },
      { dialect: 'nested', code: 'INVALID_ARGUMENT', message: 'Invalid page size', details: { status: 'INVALID_ARGUMENT' } },
    ],
    [
      'reads the OAuth dialect with error_description',
      401,
      jsonHeaders,
      { error: 'invalid_token', error_description: 'The access token expired' },
      { dialect: 'oauth', code: 'invalid_token', message: 'The access token expired', details: {}, fieldErrors: [] },
    ],
    [
      'reads the OAuth dialect with message when there is no error_description',
      403,
      jsonHeaders,
      { error: 'access_denied', message: 'Not for you' },
      { dialect: 'oauth', code: 'access_denied', message: 'Not for you' },
    ],
    [
      'reads a JSON:API error list: first code and detail, every pointer a field error',
      422,
      { 'content-type': 'application/vnd.api+json' },
      {
        errors: [
          { status: '422', code: 'invalid_name', title: 'Invalid attribute', detail: 'Name is too short', source: { pointer: '/data/attributes/name' } },
          { status: '422', title: 'Invalid parameter', detail: 'Unknown include', source: { parameter: 'include' } },
        ],
      },
      {
        dialect: 'list',
        code: 'invalid_name',
        message: 'Name is too short',
        fieldErrors: [
          { field: 'data.attributes.name', message: 'Name is too short' },
          { field: 'include', message: 'Unknown include' },
        ],
        details: {},
      },
    ],
    [
      'reads an error list whose first item has only a message',
      400,
      jsonHeaders,
      { errors: [{ message: 'Query too complex' }] },
      { dialect: 'list', code: undefined, message: 'Query too complex', fieldErrors: [] },
    ],
    [
      'reads an error list title when it has no detail or message',
      400,
      jsonHeaders,
      { errors: [{ title: 'Bad filter', code: 'BAD_FILTER' }] },
      { dialect: 'list', code: 'BAD_FILTER', message: 'Bad filter' },
    ],
    [
      'reads an error list whose later items are not objects, by its first',
      409,
      jsonHeaders,
      { errors: [{ code: 'locked', detail: 'The record is locked', source: { pointer: '/data/id' } }, 'stray', null] },
      { dialect: 'list', code: 'locked', message: 'The record is locked', fieldErrors: [{ field: 'data.id', message: 'The record is locked' }] },
    ],
    [
      'reads an error list whose first items are not objects, by its first object',
      409,
      jsonHeaders,
      { errors: ['oops', null, { code: 'already_exists', detail: 'Duplicate id', source: { pointer: '/id' }, retry_after: 30, request_id: 'rq-1' }] },
      { dialect: 'list', code: 'already_exists', message: 'Duplicate id', fieldErrors: [{ field: 'id', message: 'Duplicate id' }], retryAfterSeconds: 30, upstreamRequestId: 'rq-1' },
    ],
    [
      'reads a nested error\'s details object beside its other members',
      402,
      jsonHeaders,
      { error: { code: 'quota_exceeded', message: 'Over', plan: 'team', details: { current: 5, limit: 5, plan: 'free' } } },
      { dialect: 'nested', code: 'quota_exceeded', message: 'Over', details: { plan: 'team', current: 5, limit: 5 } },
    ],
  ])('%s', (_name, status, headers, body, expected) => {
    const report = readErrorReport(status, headers, json(body), clock);
    // `undefined` in a row means "absent": toMatchObject would want the key present.
    const present = Object.fromEntries(Object.entries(expected).filter(([, value]) => value !== undefined));
    expect(report).toMatchObject(present);
    for (const [key, value] of Object.entries(expected)) if (value === undefined) expect(report).not.toHaveProperty(key);
  });
});

describe('readErrorReport: detection order', () => {
  it.each<[string, Record<string, string>, unknown, UpstreamErrorReport['dialect']]>([
    ['the problem+json media type wins over a nested error shape', problemHeaders, { error: { code: 'x' } }, 'problem'],
    ['Problem members win over a flat code and message', jsonHeaders, { type: 'https://x/conflict', status: 409, code: 'LOCKED', message: 'Locked' }, 'problem'],
    ['a nested error object wins over an errors list', jsonHeaders, { error: { code: 'locked', message: 'Locked' }, errors: [{ detail: 'x' }] }, 'nested'],
    ['a flat code and message win over an error string (Fastify: the reason phrase)', jsonHeaders, { statusCode: 422, code: 'SOURCES_NOT_READY', error: 'Unprocessable Entity', message: 'y' }, 'flat'],
    ['a flat code and message win over a nested error object', jsonHeaders, { code: 'X', message: 'y', error: { code: 'z' } }, 'flat'],
    ['an OAuth error string with a description is OAuth', jsonHeaders, { error: 'invalid_grant', error_description: 'expired' }, 'oauth'],
    ['a flat code and message win over an errors list', jsonHeaders, { code: 'X', message: 'y', errors: [{ detail: 'z' }] }, 'flat'],
    ['a Problem type with a string status is not Problem Details', jsonHeaders, { type: 'https://x/not-found', title: 'Not found', status: '404' }, 'none'],
    ['an error object without code is not nested coded', jsonHeaders, { error: { message: 'nope' } }, 'none'],
    ['a numeric code is not flat coded', jsonHeaders, { code: 42, message: 'nope' }, 'none'],
    ['an empty errors array is not an error list', jsonHeaders, { errors: [] }, 'none'],
    ['an errors array of strings is not an error list', jsonHeaders, { errors: ['nope'] }, 'none'],
    ['an object of no known shape is none', jsonHeaders, { ok: false }, 'none'],
  ])('%s', (_name, headers, body, dialect) => {
    expect(readErrorReport(400, headers, json(body), clock).dialect).toBe(dialect);
  });
});

describe('readErrorReport: bodies it cannot read (ERRORS.md §3, last row)', () => {
  const none = { dialect: 'none', fieldErrors: [], details: {} };
  const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
  it.each<[string, Record<string, string>, Uint8Array]>([
    ['an HTML page', { 'content-type': 'text/html' }, encode('<html><body><h1>502 Bad Gateway</h1></body></html>')],
    ['plain text', { 'content-type': 'text/plain' }, encode('upstream connect error or disconnect/reset before headers')],
    ['an empty body', jsonHeaders, new Uint8Array()],
    ['invalid JSON', jsonHeaders, encode('{"code": "X", "message": ')],
    ['binary bytes', { 'content-type': 'application/octet-stream' }, Uint8Array.from([0xff, 0xfe, 0x00, 0x7b, 0x80, 0xc3, 0x28, 0x0a])],
    ['invalid UTF-8 inside JSON', jsonHeaders, Uint8Array.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d])],
    ['a JSON array', jsonHeaders, json([{ code: 'X', message: 'y' }])],
    ['JSON null', jsonHeaders, encode('null')],
    ['a JSON number', jsonHeaders, encode('500')],
    ['a JSON string', jsonHeaders, encode('"error"')],
    ['deeply nested objects', jsonHeaders, encode(deep)],
  ])('reads %s as the none dialect without throwing', (_name, headers, body) => {
    expect(readErrorReport(500, headers, body, clock)).toEqual(none);
  });

  it('reads a body behind a byte-order mark', () => {
    const body = new Uint8Array([0xef, 0xbb, 0xbf, ...json({ code: 'NOT_FOUND', message: 'gone' })]);
    expect(readErrorReport(404, jsonHeaders, body, clock)).toMatchObject({ dialect: 'flat', code: 'NOT_FOUND' });
  });

  it('keeps a one-megabyte message raw for the mapper to cut', () => {
    const message = 'x'.repeat(1_000_000);
    expect(readErrorReport(400, jsonHeaders, json({ code: 'BAD', message }), clock).message).toHaveLength(1_000_000);
  });

  it.each([
    ['flat details', (members: Record<string, string>) => ({ code: 'BAD', message: 'm', details: members })],
    ['Problem extension members', (members: Record<string, string>) => ({ type: 'https://x/y', status: 400, ...members })],
    ['nested error members', (members: Record<string, string>) => ({ error: { code: 'bad', message: 'm', ...members } })],
  ])(`keeps the first ${maxDetailMembers} of 20,000 %s`, (_name, shape) => {
    const members = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 'v']));
    const report = readErrorReport(400, jsonHeaders, json(shape(members)), clock);
    expect(Object.keys(report.details)).toEqual(Array.from({ length: maxDetailMembers }, (_, i) => `k${i}`));
  });

  it(`still reads retry_after and the request id past the first ${maxDetailMembers} detail members`, () => {
    const members = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, 'v']));
    const report = readErrorReport(429, jsonHeaders, json({ code: 'RATE_LIMITED', message: 'm', details: { ...members, retry_after: 12, request_id: 'req-7' } }), clock);
    expect(report).toMatchObject({ retryAfterSeconds: 12, upstreamRequestId: 'req-7' });
    expect(report.details).not.toHaveProperty('retry_after');
  });

  it(`keeps the first ${maxFieldErrors} of 20,000 field errors`, () => {
    const errors = Array.from({ length: 20_000 }, (_, i) => ({ detail: 'bad', pointer: `#/f${i}` }));
    const report = readErrorReport(400, problemHeaders, json({ type: 'https://x/y', status: 400, errors }), clock);
    expect(report.fieldErrors.map((error) => error.field)).toEqual(Array.from({ length: maxFieldErrors }, (_, i) => `f${i}`));
  });

  it('does not pollute prototypes through __proto__ members', () => {
    const body = encode(
      '{"__proto__": {"polluted": true}, "code": "X", "message": "y", "details": {"__proto__": {"polluted": true}, "plan": "trial"}}',
    );
    const report = readErrorReport(400, { ...jsonHeaders }, body, clock);
    expect(report).toMatchObject({ dialect: 'flat', code: 'X', details: { plan: 'trial' } });
    expect(Object.getPrototypeOf(report.details)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect((report.details as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('does not pollute prototypes through Problem extension members or nested error members', () => {
    for (const text of [
      '{"type": "https://x/y", "status": 400, "__proto__": {"polluted": true}}',
      '{"error": {"code": "x", "__proto__": {"polluted": true}}}',
    ]) {
      const report = readErrorReport(400, jsonHeaders, encode(text), clock);
      expect(Object.getPrototypeOf(report.details)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    }
  });
});

describe('fieldNameFromPointer', () => {
  it.each<[string, string | undefined]>([
    ['#/mode', 'mode'],
    ['/mode', 'mode'],
    ['/data/attributes/name', 'data.attributes.name'],
    ['/items/0/name', 'items.0.name'],
    ['/a~1b/c~0d', 'a/b.c~d'],
    ['#/na%20me', 'na me'],
    ['#/bad%zzescape', 'bad%zzescape'],
    ['mode', 'mode'],
    ['', undefined],
    ['#', undefined],
    ['/', undefined],
  ])('folds %j to %j', (pointer, field) => {
    expect(fieldNameFromPointer(pointer)).toBe(field);
  });
});

describe('codeFromType', () => {
  it.each<[string | undefined, string | undefined]>([
    ['https://problems.example/not-found', 'not_found'],
    ['https://problems.example/not-found/', 'not_found'],
    // The last path segment (ERRORS.md §3): neither the query nor the fragment is part of it.
    ['https://problems.example/quota-exceeded#help', 'quota_exceeded'],
    ['https://problems.example/quota-exceeded?a=b#frag', 'quota_exceeded'],
    ['https://problems.example/errors?lang=en#rate-limited', 'errors'],
    // With no path segment at all, the fragment is all there is.
    ['https://problems.example/#rate-limited', 'rate_limited'],
    ['#not-found', 'not_found'],
    ['https://problems.example', undefined],
    ['https://problems.example/quota-exceeded?v=2', 'quota_exceeded'],
    ['urn:problem:payload-too-large', 'payload_too_large'],
    ['/problems/conflict', 'conflict'],
    ['about:blank', undefined],
    ['ABOUT:BLANK', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('reads %j as the code %j', (type, code) => {
    expect(codeFromType(type)).toBe(code);
  });

  it('reads a long type, but none past 2,048 characters (megabytes of `/` once stalled the gateway)', () => {
    expect(codeFromType(`https://problems.example/${'a/'.repeat(1000)}gone`)).toBe('gone');
    expect(codeFromType(`${'/'.repeat(10_000_000)}gone`)).toBeUndefined();
  });
});

describe('field errors from megabyte pointers', () => {
  it('reads a field from the pointer\'s first 1,024 characters only', () => {
    const body = { errors: [{ detail: 'bad', source: { pointer: `/${'a/'.repeat(5_000_000)}b` } }] };
    const { fieldErrors } = readErrorReport(422, { 'content-type': 'application/json' }, json(body), clock);
    expect(fieldErrors).toHaveLength(1);
    expect(fieldErrors[0]!.field).toBe(Array(512).fill('a').join('.'));
  });
});

describe('readErrorReport: retryAfterSeconds', () => {
  const flatWithDetails = { code: 'RATE_LIMIT_EXCEEDED', message: 'Retry after 12 seconds.', details: { retry_after: 12 } };
  it.each<[string, Record<string, string>, unknown, number | undefined, number?]>([
    ['reads delta-seconds from the Retry-After header', { 'retry-after': '120' }, {}, 120],
    ['reads a zero Retry-After header', { 'retry-after': '0' }, {}, 0],
    ['trims a Retry-After header', { 'retry-after': ' 5 ' }, {}, 5],
    ['reads a Retry-After header whatever the case of its name', { 'Retry-After': '9' }, {}, 9],
    ['maps an HTTP-date Retry-After to seconds', { 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, {}, 30],
    ['rounds an HTTP-date Retry-After up to whole seconds', { 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, {}, 30, now + 500],
    ['never gives a negative Retry-After for a past date', { 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, {}, 0],
    ['reads an RFC 850 date', { 'retry-after': 'Wednesday, 01-Jan-25 00:01:00 GMT' }, {}, 60],
    ['reads an asctime date', { 'retry-after': 'Wed Jan  1 00:01:00 2025' }, {}, 60],
    ['ignores a garbage Retry-After header', { 'retry-after': 'soon' }, {}, undefined],
    // Not HTTP's delta-seconds, but read as the contract says of every value: rounded up, at least 0.
    ['reads a negative Retry-After header as 0', { 'retry-after': '-5' }, {}, 0],
    ['rounds a fractional Retry-After header up', { 'retry-after': '1.5' }, {}, 2],
    ['falls back to the body when the header is garbage', { 'retry-after': 'later' }, flatWithDetails, 12],
    ['prefers the header over the body', { 'retry-after': '3' }, flatWithDetails, 3],
    ['reads retry_after from flat details', {}, flatWithDetails, 12],
    ['reads a top-level retryAfter numeric string', {}, { code: 'X', message: 'y', retryAfter: '7' }, 7],
    ['rounds a fractional body value up', {}, { code: 'X', message: 'y', retry_after: 12.2 }, 13],
    ['never gives a negative body value', {}, { code: 'X', message: 'y', retry_after: -4 }, 0],
    ['ignores a non-numeric body value', {}, { code: 'X', message: 'y', retry_after: 'soon' }, undefined],
    ['reads a Problem extension member', {}, { type: 'https://x/rate-limited', status: 429, retryAfter: 3 }, 3],
    ['reads a member of a nested error', {}, { error: { code: 'rate_limited', message: 'slow down', retry_after: 21 } }, 21],
    ['reads the details of a nested error', {}, { error: { code: 'rate_limited', message: 'slow down', details: { retry_after: 8 } } }, 8],
    ['reads the first item of an error list', {}, { errors: [{ code: 'throttled', detail: 'slow down', retryAfter: 6 }] }, 6],
    ['clamps a huge delta to the maximum', { 'retry-after': '99999999999' }, {}, maxRetryAfterSeconds],
    ['gives none when nothing says', {}, { code: 'X', message: 'y' }, undefined],
  ])('%s', (_name, headers, body, expected, at = now) => {
    expect(readErrorReport(429, headers, json(body), () => at).retryAfterSeconds).toBe(expected);
  });

  it.each<[string, number | undefined]>([
    ['60', 60],
    ['5, 7', 5],
    // Not HTTP's delta-seconds, read as a body member would be: rounded up, never negative.
    ['1.5', 2],
    ['-5', 0],
    ['0.2, 9', 1],
    ['1e3', undefined],
    ['Wed, 01 Jan 2025 00:02:00 GMT', 120],
    ['Wed, 32 Jan 2025 00:02:00 GMT', undefined],
    ['Wed, 01 Foo 2025 00:02:00 GMT', undefined],
    ['2025-01-01T00:02:00Z', undefined],
    ['', undefined],
  ])('parseRetryAfter(%j) is %j', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('readErrorReport: upstream request id', () => {
  it.each<[string, Record<string, string>, unknown, string | undefined]>([
    ['reads x-request-id', { 'x-request-id': 'req-123' }, {}, 'req-123'],
    ['reads x-trace-id', { 'x-trace-id': 'trace.9:a_b' }, {}, 'trace.9:a_b'],
    ['reads the header whatever the case of its name', { 'X-Request-Id': 'abc' }, {}, 'abc'],
    ['prefers x-request-id over x-trace-id', { 'x-trace-id': 'second', 'x-request-id': 'first' }, {}, 'first'],
    ['prefers headers over body members', { 'x-request-id': 'header' }, { code: 'X', message: 'y', trace_id: 'body' }, 'header'],
    ['reads a Problem trace_id extension member', {}, { type: 'https://x/internal', status: 500, trace_id: 'tr-1' }, 'tr-1'],
    ['reads a top-level traceId', {}, { code: 'X', message: 'y', traceId: 'tr-2' }, 'tr-2'],
    ['reads request_id from flat details', {}, { code: 'X', message: 'y', details: { request_id: 'rq-3' } }, 'rq-3'],
    ['reads requestId from a nested error', {}, { error: { code: 'query_failed', message: 'z', requestId: 'rq-4' } }, 'rq-4'],
    ['reads a numeric body id as a string', {}, { code: 'X', message: 'y', request_id: 12345 }, '12345'],
    ['reads the first of a header sent twice', { 'x-request-id': 'up-1, proxy-2' }, {}, 'up-1'],
    ['reads the first of a header sent twice, the same id both times', { 'x-request-id': 'up-1,up-1' }, {}, 'up-1'],
    ['drops an id with unsafe characters', { 'x-request-id': 'abc def<script>' }, {}, undefined],
    ['drops an id over 128 characters', { 'x-request-id': 'a'.repeat(129) }, {}, undefined],
    ['skips an unsafe header id for a safe body one', { 'x-request-id': 'a b' }, { code: 'X', message: 'y', trace_id: 'ok-1' }, 'ok-1'],
    ['gives none when nothing says', {}, { code: 'X', message: 'y' }, undefined],
  ])('%s', (_name, headers, body, expected) => {
    expect(readErrorReport(500, headers, json(body), clock).upstreamRequestId).toBe(expected);
  });
});
