/**
 * A client reads the same failing answer into the same report, so that it is read and mapped
 * once; anything that changes what the report says makes a new one.
 */
import { describe, expect, it } from 'vitest';
import { createErrorReportReader, maxRememberedBodyBytes } from '../../src/upstream/error-reports.js';
import { readErrorReport } from '../../src/upstream/normalize.js';

const encode = (text: string) => new TextEncoder().encode(text);
const problem = { 'content-type': 'application/problem+json' };
const notFound = JSON.stringify({ type: 'https://problems.example/not-found', title: 'Not Found', status: 404, detail: 'Project p-404 not found' });

describe('createErrorReportReader', () => {
  it('reads the same answer into the same report, equal to a fresh reading', () => {
    const read = createErrorReportReader();
    const first = read(404, problem, encode(notFound));
    expect(read(404, { ...problem }, encode(notFound))).toBe(first);
    expect(first).toEqual(readErrorReport(404, problem, encode(notFound)));
  });

  it('reads anew whatever the report depends on: status, body, media type, request ids, Retry-After', () => {
    const read = createErrorReportReader();
    const base = read(404, problem, encode(notFound));
    const variants = [
      read(410, problem, encode(notFound)),
      read(404, problem, encode(notFound.replace('p-404', 'p-405'))),
      read(404, { 'content-type': 'application/json' }, encode(notFound)),
      read(404, { ...problem, 'x-request-id': 'up-1' }, encode(notFound)),
      read(404, { ...problem, 'x-trace-id': 'tr-1' }, encode(notFound)),
      read(404, { ...problem, 'retry-after': '7' }, encode(notFound)),
    ];
    for (const variant of variants) expect(variant).not.toBe(base);
    expect(variants[3]!.upstreamRequestId).toBe('up-1');
    expect(variants[4]!.upstreamRequestId).toBe('tr-1');
    expect(variants[5]!.retryAfterSeconds).toBe(7);
    // Each upstream request id is its own report: none is shown under another's id.
    expect(read(404, { ...problem, 'x-request-id': 'up-2' }, encode(notFound)).upstreamRequestId).toBe('up-2');
    expect(read(404, { ...problem, 'x-request-id': 'up-1' }, encode(notFound))).toBe(variants[3]);
  });

  it('tells apart bodies in another charset that read the same as UTF-8', () => {
    const read = createErrorReportReader();
    const latin1 = { 'content-type': 'application/json; charset=ISO-8859-1' };
    const body = (message: string) => Buffer.from(JSON.stringify({ code: 'not_found', message }), 'latin1');
    expect(read(404, latin1, body('Kontext gelöscht')).message).toBe('Kontext gelöscht');
    expect(read(404, latin1, body('Kontext gelüscht')).message).toBe('Kontext gelüscht');
  });

  it('reads a Retry-After date every time, since the seconds it leaves move with the clock', () => {
    const read = createErrorReportReader();
    const headers = { 'content-type': 'application/json', 'retry-after': new Date(Date.now() + 120_000).toUTCString() };
    const body = encode(JSON.stringify({ code: 'RATE_LIMITED', message: 'slow down' }));
    const first = read(429, headers, body);
    expect(first.retryAfterSeconds).toBeGreaterThan(100);
    expect(read(429, headers, body)).not.toBe(first);
  });

  it('reads a body over the size it remembers every time', () => {
    const read = createErrorReportReader();
    const large = encode(JSON.stringify({ code: 'BAD', message: 'x'.repeat(maxRememberedBodyBytes) }));
    expect(read(400, {}, large)).not.toBe(read(400, {}, large));
    const small = encode(JSON.stringify({ code: 'BAD', message: 'x' }));
    expect(read(400, {}, small)).toBe(read(400, {}, small));
  });

  it('keeps a bounded number of answers, the most recent', () => {
    const read = createErrorReportReader(2);
    const answer = (n: number) => encode(JSON.stringify({ code: 'BAD', message: `answer ${n}` }));
    const first = read(400, {}, answer(1));
    read(400, {}, answer(2));
    read(400, {}, answer(3));
    expect(read(400, {}, answer(1))).not.toBe(first);
    expect(read(400, {}, answer(1)).message).toBe('answer 1');
  });
});
