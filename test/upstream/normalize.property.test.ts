import fc from 'fast-check';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { ErrorOverrides } from '../../src/errors/classify.js';
import { errorCodes, isErrorCode, serverMessageFor, statusOfCode } from '../../src/errors/codes.js';
import { toGraphQLError } from '../../src/errors/to-graphql-error.js';
import { UpstreamError } from '../../src/upstream/failure.js';
import { readErrorReport } from '../../src/upstream/normalize.js';
import { findLeaks } from '../support/leak-scan.js';

const service = 'workspaces';
const safeDetailKeys = ['fieldErrors', 'requiredScope', 'current', 'limit', 'plan', 'validTransitions'];
const encode = (text: string) => new TextEncoder().encode(text);

/** Text that tries hard to break a message: markup, controls, bidi overrides, lone surrogates. */
const hostileText = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.constantFrom('<b>', '</b>', '<script>', '<', '>', '<<', '</', '<!--', '<?xml', '\u0000', '\n', '\r\n', '\t', '\u001b[31m', '\u202e', '\u2028', '\ud800', '\udfff', '&lt;', ' '),
      // What an upstream's insides look like: none of it may reach the client.
      fc.constantFrom('SELECT id FROM users', 'syntax error at or near "x"', '    at Object.<anonymous> (/app/src/db.js:10:5)', '127.0.0.1:5432', '10.0.0.7:8080', '/home/app/server.js', 'C:\\app\\web.config', '<html><body>', '<pre>'),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

const anyValue = fc.oneof(hostileText, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.json().map((text) => JSON.parse(text) as unknown));

/** Bodies shaped like each dialect, with hostile values, so that every reader is exercised. */
const dialectBody = fc.oneof(
  fc.record(
    { type: fc.oneof(hostileText, fc.webUrl()), title: hostileText, status: fc.integer({ min: 100, max: 599 }), detail: hostileText, instance: hostileText, code: hostileText, retry_after: anyValue, trace_id: anyValue, errors: fc.array(fc.record({ detail: hostileText, pointer: hostileText }, { requiredKeys: [] })) },
    { requiredKeys: [] },
  ),
  fc.record({ code: hostileText, message: hostileText, details: fc.dictionary(fc.constantFrom('current', 'limit', 'plan', 'valid_transitions', 'retry_after', 'request_id', 'stack', '__proto__'), anyValue) }, { requiredKeys: ['code', 'message'] }),
  fc.record({ error: fc.record({ code: fc.oneof(hostileText, fc.integer()), message: hostileText, requiredScope: anyValue, status: hostileText }, { requiredKeys: ['code'] }) }),
  fc.record({ error: hostileText, error_description: hostileText, message: hostileText }, { requiredKeys: ['error'] }),
  fc.record({ errors: fc.array(fc.record({ code: hostileText, detail: hostileText, title: hostileText, source: fc.record({ pointer: hostileText, parameter: hostileText }, { requiredKeys: [] }) }, { requiredKeys: [] }), { minLength: 1, maxLength: 5 }) }),
);

const body = fc.oneof(
  dialectBody.map((value) => encode(JSON.stringify(value))),
  fc.json().map(encode),
  fc.anything().map((value) => encode(JSON.stringify(value) ?? 'undefined')),
  fc.uint8Array({ maxLength: 4096 }),
  hostileText.map(encode),
  fc.string({ unit: 'grapheme', minLength: 1000, maxLength: 20_000 }).map(encode),
);

const headers = fc.record(
  {
    'content-type': fc.constantFrom('application/json', 'application/problem+json', 'application/problem+json; charset=utf-8', 'text/html', 'text/plain', ''),
    'retry-after': fc.oneof(fc.string(), fc.nat().map(String), fc.date({ noInvalidDate: true }).map((date) => date.toUTCString()), fc.constant('-1'), fc.constant('1e400')),
    'x-request-id': fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z0-9._:-]{1,140}$/)),
    'x-trace-id': fc.string(),
  },
  { requiredKeys: [] },
).chain((known) =>
  // Any other header an upstream may send, with any value.
  fc.dictionary(fc.string({ minLength: 1, maxLength: 40 }).map((name) => name.toLowerCase()), fc.string({ unit: 'binary', maxLength: 200 }), { maxKeys: 8 }).map((extra) => ({ ...extra, ...known })),
);

const overrides: fc.Arbitrary<ErrorOverrides | undefined> = fc.option(
  fc.record({ [service]: fc.dictionary(fc.oneof(hostileText, fc.constantFrom('SOURCES_NOT_READY', 'not_found', 'internal_error')), fc.constantFrom(...errorCodes)) }),
  { nil: undefined },
);

/** The contract's promises about any upstream answer, whatever it was. */
function checkContract(status: number, sentHeaders: Record<string, string>, bytes: Uint8Array, table: ErrorOverrides | undefined): void {
  const report = readErrorReport(status, sentHeaders, bytes, () => Date.UTC(2025, 0, 1));
  if (report.retryAfterSeconds !== undefined) {
    expect(Number.isInteger(report.retryAfterSeconds)).toBe(true);
    expect(report.retryAfterSeconds).toBeGreaterThanOrEqual(0);
  }
  if (report.upstreamRequestId !== undefined) expect(report.upstreamRequestId).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);

  const upstream = new UpstreamError({ service, method: 'GET', path: '/api/v1/workspaces/w-1', failure: { kind: 'response', status, report }, attempts: 1, requestId: 'req-1' });
  const error = toGraphQLError(upstream, { overrides: table });
  const { code, status: contractStatus } = error.extensions;

  expect(error.constructor).toBe(GraphQLError);
  expect(isErrorCode(code)).toBe(true);
  if (!isErrorCode(code)) return;
  expect(contractStatus).toBe(statusOfCode[code]);
  // At most 300 characters, counted as code points: an emoji is one (two UTF-16 units).
  expect(Array.from(error.message).length).toBeLessThanOrEqual(300);
  expect(error.message).not.toMatch(/\p{Cc}/u);
  expect(error.message).not.toMatch(/<[A-Za-z/!?]/);
  expect(error.message.trim()).not.toBe('');
  if (statusOfCode[code] >= 500) {
    expect(error.message).toBe(serverMessageFor(code, service));
    expect(error.extensions).not.toHaveProperty('details');
    expect(error.extensions['upstream']).not.toHaveProperty('title');
    expect(error.extensions['upstream']).not.toHaveProperty('instance');
  }
  if (code === 'NOT_FOUND') expect([401, 403]).not.toContain(status);
  const details = error.extensions['details'];
  if (details !== undefined) for (const key of Object.keys(details as object)) expect(safeDetailKeys).toContain(key);
  if (code === 'RATE_LIMITED') expect(Number.isInteger(error.extensions['retryAfter'])).toBe(true);
  expect(() => JSON.stringify(error.toJSON())).not.toThrow();
  expect(findLeaks(JSON.stringify(error.toJSON()))).toEqual([]);
}

describe('readErrorReport and toGraphQLError on any upstream answer', () => {
  it('never throw and always give a canonical, clean error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 100, max: 599 }), fc.integer({ min: 0, max: 1000 })), headers, body, overrides, (status, sentHeaders, bytes, table) => {
        checkContract(status, sentHeaders, bytes, table);
      }),
      { numRuns: 500 },
    );
  });

  it('hold for megabyte-sized bodies', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.constantFrom('<a', '\u0000', 'x', '<<b>>', '\ud83d\ude00'),
        fc.integer({ min: 500_000, max: 1_000_000 }),
        (status, unit, length) => {
          const huge = unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
          checkContract(status, { 'content-type': 'application/json', 'retry-after': huge }, encode(JSON.stringify({ code: huge, message: huge, details: { plan: huge } })), undefined);
        },
      ),
      { numRuns: 2 },
    );
  });
});
