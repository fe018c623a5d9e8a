import { describe, expect, it } from 'vitest';
import type { UpstreamFailure } from '../../src/upstream/failure.js';
import { maxBackoffMs, retryDelayMs, shouldRetry } from '../../src/upstream/retry-policy.js';

const response = (status: number, retryAfterSeconds?: number): UpstreamFailure => ({
  kind: 'response',
  status,
  report: { dialect: 'none', fieldErrors: [], details: {}, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) },
});

describe('shouldRetry', () => {
  it.each<[string, UpstreamFailure, boolean]>([
    ['a refused connection', { kind: 'refused' }, true],
    ['a reset', { kind: 'reset' }, true],
    ['an answer that is not HTTP', { kind: 'malformed' }, true],
    ['an attempt timeout', { kind: 'timeout' }, true],
    ['a 500', response(500), true],
    ['a 502', response(502), true],
    ['a 503', response(503), true],
    ['a 501', response(501), false],
    ['a status of 600 or more, which is no HTTP status', response(600), false],
    ['a status of 999', response(999), false],
    ['a 429', response(429), false],
    ['a 404', response(404), false],
    ['a redirect', { kind: 'redirect', status: 302, report: { dialect: 'none', fieldErrors: [], details: {} } }, false],
    ['the request deadline', { kind: 'deadline' }, false],
    ['the caller leaving', { kind: 'aborted' }, false],
    ['a body over the limit', { kind: 'too-large', limitBytes: 1 }, false],
    ['an unusable body', { kind: 'invalid-body', status: 200, reason: 'not JSON' }, false],
    ['an open circuit', { kind: 'circuit-open', retryAfterSeconds: 3 }, false],
  ])('%s → %s', (_name, failure, expected) => {
    expect(shouldRetry(failure)).toBe(expected);
  });
});

describe('retryDelayMs', () => {
  it.each([
    [1, 250],
    [2, 500],
    [3, 1000],
    [7, 1000],
  ])('after attempt %i waits about %i ms, within ±20%% jitter and never above the longest wait', (attempt, base) => {
    for (const random of [0, 0.5, 0.999]) {
      const wait = retryDelayMs(attempt, { kind: 'timeout' }, () => random);
      expect(wait).toBeGreaterThanOrEqual(base * 0.8);
      expect(wait).toBeLessThanOrEqual(Math.min(maxBackoffMs, base * 1.2));
    }
  });

  it("waits the upstream's Retry-After when it sent one", () => {
    expect(retryDelayMs(1, response(503, 2))).toBe(2000);
  });

  it('waits the backoff step at least: a Retry-After of 0 (or a date gone by) sends no retries back to back', () => {
    expect(retryDelayMs(1, response(503, 0), () => 0.5)).toBe(250);
    expect(retryDelayMs(2, response(503, 0), () => 0.5)).toBe(500);
    // Shorter than the step, it is the step still: Retry-After is the least to wait.
    expect(retryDelayMs(3, response(503, 1), () => 0.999)).toBe(1000);
  });
});
