/**
 * When and how long to wait before retrying an upstream call (ERRORS.md §6, after the SDK
 * policy in the source documents): connection errors, timeouts and 5xx but 501 are retried;
 * a 4xx (429 included) never is. The loop itself lives in `client.ts`: it needs the request's
 * deadline and its abort signal during the wait, which cockatiel's retry policy does not observe.
 */
import type { UpstreamFailure } from './failure.js';

/** Waits before attempts 2 and 3 (and any further), in ms, before jitter. */
export const defaultBackoffMs: readonly number[] = [250, 500, 1000];

/** The longest single wait chosen by the backoff (an upstream's Retry-After may ask more). */
export const maxBackoffMs = 1000;

export function shouldRetry(failure: UpstreamFailure): boolean {
  switch (failure.kind) {
    case 'refused':
    case 'reset':
    case 'malformed':
    case 'timeout':
      return true;
    case 'response':
      // Not 600 and above: no HTTP status, and nothing says trying again would help.
      return failure.status >= 500 && failure.status < 600 && failure.status !== 501;
    default:
      return false;
  }
}

/**
 * The wait after failed attempt `attempt` (1-based): the backoff step with ±20% jitter, never
 * above `maxBackoffMs`, or the upstream's Retry-After when it asks for longer. Retry-After is the
 * least an upstream asks to wait: one of 0 (or a date gone by) still waits the backoff step,
 * rather than turning every call into three sent back to back.
 */
export function retryDelayMs(attempt: number, failure: UpstreamFailure, random: () => number = Math.random): number {
  const base = defaultBackoffMs[Math.min(attempt, defaultBackoffMs.length) - 1] ?? maxBackoffMs;
  const backoff = Math.min(maxBackoffMs, Math.round(base * (0.8 + 0.4 * random())));
  const asked = failure.kind === 'response' ? failure.report.retryAfterSeconds : undefined;
  return asked === undefined ? backoff : Math.max(backoff, asked * 1000);
}
