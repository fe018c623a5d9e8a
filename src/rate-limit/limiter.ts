/**
 * Puts a store behind the failure mode: when the store throws (Redis down, or slower than its
 * command timeout) the verdict is `unchecked` (fail open: serve, and warn at most once per
 * `logEveryMs`) or `unavailable` (fail closed: refuse with 503), never a hung request.
 *
 * After a failure the store rests for `restMs` (cockatiel's circuit breaker; one call then
 * probes it): every check in between gets the failure verdict at once. Without the rest, each
 * limited field of a request waited out the command timeout again (10 mutations, 10 timeouts in
 * a row), and each of those commands, left queued on a hung connection, charged the caller
 * once Redis woke up.
 */
import { BrokenCircuitError, ConsecutiveBreaker, circuitBreaker, handleAll, IsolatedCircuitError } from 'cockatiel';
import type { RateBudget, StoreFailureMode } from '../config.js';
import type { Logger } from '../log.js';
import type { RateLimitDecision, RateLimitStore } from './store.js';

export type RateLimitVerdict =
  | { kind: 'allowed'; decision: RateLimitDecision }
  | { kind: 'limited'; decision: RateLimitDecision }
  | { kind: 'unchecked' }
  | { kind: 'unavailable' };

export interface RateLimiterOptions {
  store: RateLimitStore;
  /** What a store failure means for the call. @default 'open' */
  onStoreFailure?: StoreFailureMode;
  /** @default nothing is logged */
  logger?: Logger;
  /** The shortest gap between two store-failure warnings, in ms. @default 10000 */
  logEveryMs?: number;
  /** How long the store is left alone after a failure, in ms. @default 1000 */
  restMs?: number;
}

export interface RateLimiter {
  readonly store: RateLimitStore;
  check(identity: string, scope: string, budget: RateBudget, requestId?: string): Promise<RateLimitVerdict>;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { store, logger } = options;
  const mode = options.onStoreFailure ?? 'open';
  const logEveryMs = options.logEveryMs ?? 10_000;
  let lastWarnedAt = -Infinity;
  const breaker = circuitBreaker(handleAll, { halfOpenAfter: options.restMs ?? 1000, breaker: new ConsecutiveBreaker(1) });
  return {
    store,
    async check(identity, scope, budget, requestId) {
      try {
        const decision = await breaker.execute(() => store.consume(identity, scope, budget));
        return decision.allowed ? { kind: 'allowed', decision } : { kind: 'limited', decision };
      } catch (error) {
        const resting = error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError;
        if (!resting && Date.now() - lastWarnedAt >= logEveryMs) {
          lastWarnedAt = Date.now();
          const err = error instanceof Error ? { name: error.name, message: error.message } : { message: String(error) };
          logger?.warn({ requestId, store: store.name, scope, failureMode: mode, err }, `rate-limit store failed: failing ${mode}`);
        }
        return mode === 'open' ? { kind: 'unchecked' } : { kind: 'unavailable' };
      }
    },
  };
}
