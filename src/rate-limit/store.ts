/**
 * The rate limiter's storage: one atomic call per decision. `@envelop/rate-limiter`'s own `Store`
 * (read every timestamp, then write them all back) cannot be atomic across instances nor O(1),
 * so Conflux's stores count in fixed windows: the first call of a caller opens a window of
 * `windowMs`, and every call inside it is counted until it ends.
 */
import type { RateBudget } from '../config.js';

/** The outcome of counting one call. */
export interface RateLimitDecision {
  /** Whether the call fits in the budget (and was counted). */
  allowed: boolean;
  /** The budget's size, in calls per window. */
  limit: number;
  /** Calls left in the current window after this one. */
  remaining: number;
  /** Time until the current window ends, in ms. */
  resetMs: number;
}

export interface RateLimitStore {
  /** `memory` is per instance; anything else is shared and reported by `/ready`. */
  readonly name: string;
  /**
   * Counts one call of `scope` (the operation budget or a field) by `identity` against `budget`,
   * atomically: concurrent calls never both take the last unit. A refused call is not counted.
   */
  consume(identity: string, scope: string, budget: RateBudget): Promise<RateLimitDecision>;
  /** Resolves true when the store can decide calls now. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Whole seconds until `resetMs` has passed, at least 1 (RateLimit-Reset, Retry-After). */
export function secondsUntil(resetMs: number): number {
  return Math.max(1, Math.ceil(resetMs / 1000));
}
