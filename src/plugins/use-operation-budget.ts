/**
 * `RATE_LIMIT_OPERATIONS`: each caller's budget of GraphQL operations. Counted once the request
 * parameters are read (after authentication, before parsing), so a refused operation never
 * executes: it gets HTTP 429, `Retry-After` in whole seconds and one `RATE_LIMITED` error.
 * Every counted response carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
 */
import type { Plugin } from 'graphql-yoga';
import type { RateBudget } from '../config.js';
import { limiterUnavailableError, rateLimitedError } from '../errors/rate-limited.js';
import { rateLimitHeaders } from '../rate-limit/headers.js';
import { identityFor } from '../rate-limit/identity.js';
import type { RateLimiter } from '../rate-limit/limiter.js';
import { secondsUntil, type RateLimitDecision } from '../rate-limit/store.js';
import { requestIdFor } from './use-request-id.js';

export interface OperationBudgetOptions {
  limiter: RateLimiter;
  /** Operations per window, per caller. */
  budget: RateBudget;
  /** Reverse proxies trusted to append to `X-Forwarded-For`. @default 0 */
  trustedProxies?: number;
}

/** The store's key scope of the operation budget. */
export const operationScope = 'operation';

export function useOperationBudget(options: OperationBudgetOptions): Plugin {
  const { limiter, budget } = options;
  const decisions = new WeakMap<Request, RateLimitDecision>();
  return {
    async onParams({ request, context, setResult }) {
      const identity = await identityFor(request, context, { trustedProxies: options.trustedProxies ?? 0 });
      const verdict = await limiter.check(identity, operationScope, budget, requestIdFor(request));
      if (verdict.kind === 'allowed' || verdict.kind === 'limited') decisions.set(request, verdict.decision);
      if (verdict.kind === 'limited') {
        setResult({ errors: [rateLimitedError({ retryAfter: secondsUntil(verdict.decision.resetMs), limit: verdict.decision.limit })] });
      } else if (verdict.kind === 'unavailable') {
        setResult({ errors: [limiterUnavailableError(true)] });
      }
    },
    onResponse({ request, response }) {
      const decision = decisions.get(request);
      if (decision === undefined) return;
      for (const [name, value] of Object.entries(rateLimitHeaders(decision))) response.headers.set(name, value);
    },
  };
}
