import { describe, expect, it } from 'vitest';
import { createRetryLink, defaultAttemptTimeoutMs, defaultMaxAttempts, defaultRetryDelaysMs, isRetryable, retryWaitMs } from '../../src/client/index.js';
import { parseConfig } from '../../src/config.js';

describe('retryWaitMs', () => {
  it('waits 250 ms, then 500 ms, then 1000 ms, the last step repeating', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4].map((attempt) => retryWaitMs(attempt, defaultRetryDelaysMs, 0.2, middle))).toEqual([250, 500, 1000, 1000]);
    expect(defaultMaxAttempts).toBe(3);
  });

  it('spreads each wait by the jitter fraction', () => {
    expect(retryWaitMs(1, defaultRetryDelaysMs, 0.2, () => 0)).toBe(200);
    expect(retryWaitMs(1, defaultRetryDelaysMs, 0.2, () => 1)).toBe(300);
    expect(retryWaitMs(2, [10, 20], 0, Math.random)).toBe(20);
  });

  it('never waits past the longest step, jitter included', () => {
    expect(retryWaitMs(3, defaultRetryDelaysMs, 0.2, () => 1)).toBe(1000);
    expect(retryWaitMs(5, defaultRetryDelaysMs, 0.2, () => 1)).toBe(1000);
  });
});

describe('createRetryLink', () => {
  it.each([
    [{ delaysMs: [] }, /delaysMs/],
    [{ delaysMs: [250, -1] }, /delaysMs/],
    [{ delaysMs: [Number.NaN] }, /delaysMs/],
    [{ maxAttempts: 0 }, /maxAttempts/],
    [{ maxAttempts: 2.5 }, /maxAttempts/],
    [{ jitter: 1.5 }, /jitter/],
    [{ timeoutMs: 0 }, /timeoutMs/],
    [{ timeoutMs: Number.POSITIVE_INFINITY }, /timeoutMs/],
    [{ timeoutMs: 2 ** 31 }, /timeoutMs/],
  ])('refuses %j, naming the option', (options, message) => {
    expect(() => createRetryLink(options)).toThrow(message);
  });
});

describe('isRetryable', () => {
  it('retries network failures and server-side codes, never client-side ones', () => {
    expect(isRetryable(new TypeError('fetch failed'))).toBe(true);
    expect(isRetryable({ message: 'x', extensions: { code: 'GATEWAY_TIMEOUT' } })).toBe(true);
    expect(isRetryable({ message: 'x', extensions: { code: 'RATE_LIMITED', retryAfter: 5 } })).toBe(false);
    expect(isRetryable({ message: 'x', extensions: { code: 'NOT_FOUND' } })).toBe(false);
    expect(isRetryable(new RangeError('a bug in a link'))).toBe(false);
    expect(isRetryable(new TypeError('Cannot read properties of undefined'))).toBe(false);
  });

  it("never retries the caller's own abort or timeout", () => {
    expect(isRetryable(new DOMException('aborted', 'AbortError'))).toBe(false);
    expect(isRetryable(new DOMException('timed out', 'TimeoutError'))).toBe(false);
  });
});

describe('defaultAttemptTimeoutMs', () => {
  it("outlasts a gateway's default request deadline, whose answer carries the partial data", () => {
    const { requestDeadlineMs } = parseConfig({});
    // An attempt that gave up at the deadline itself lost the answer sent at it (by 3-26 ms).
    expect(defaultAttemptTimeoutMs).toBeGreaterThanOrEqual(requestDeadlineMs + 5_000);
  });
});
