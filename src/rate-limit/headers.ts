/**
 * The RateLimit headers (IETF httpapi-ratelimit-headers, the three-field form): the budget, what
 * is left of it, and the whole seconds until the window ends. `Retry-After` on a refusal comes
 * with the error (`errors/rate-limited.ts`), which yoga turns into headers.
 */
import { secondsUntil, type RateLimitDecision } from './store.js';

export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(decision.remaining),
    'ratelimit-reset': String(secondsUntil(decision.resetMs)),
  };
}
