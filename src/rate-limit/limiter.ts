/**
 * Puts a store behind the failure mode: when the store throws (Redis down, or slower than its
 * command timeout) the verdict is `unchecked` (fail open: serve, and warn at most once per
 * `logEveryMs`) or `unavailable` (fail closed: refuse with 503), never a hung request.
 */
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
  return {
    store,
    async check(identity, scope, budget, requestId) {
      try {
        const decision = await store.consume(identity, scope, budget);
        return decision.allowed ? { kind: 'allowed', decision } : { kind: 'limited', decision };
      } catch (error) {
        if (Date.now() - lastWarnedAt >= logEveryMs) {
          lastWarnedAt = Date.now();
          const err = error instanceof Error ? { name: error.name, message: error.message } : { message: String(error) };
          logger?.warn({ requestId, store: store.name, scope, failureMode: mode, err }, `rate-limit store failed: failing ${mode}`);
        }
        return mode === 'open' ? { kind: 'unchecked' } : { kind: 'unavailable' };
      }
    },
  };
}
