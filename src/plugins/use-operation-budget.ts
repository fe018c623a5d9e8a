/**
 * `RATE_LIMIT_OPERATIONS`: each caller's budget of GraphQL operations. Counted once the request
 * parameters are read (after authentication, before parsing), so a refused operation never
 * executes: it gets HTTP 429, `Retry-After` in whole seconds and one `RATE_LIMITED` error. A
 * batch whose every operation is refused gets the same status and header.
 * Every counted response carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
 */
import type { Plugin } from 'graphql-yoga';
import type { RateBudget } from '../config.js';
import { limiterUnavailableError, rateLimitedError } from '../errors/rate-limited.js';
import { rateLimitHeaders } from '../rate-limit/headers.js';
import { identityFor, type IdentityOptions } from '../rate-limit/identity.js';
import type { RateLimiter } from '../rate-limit/limiter.js';
import { secondsUntil, type RateLimitDecision } from '../rate-limit/store.js';
import { requestIdFor } from './use-request-id.js';

export interface OperationBudgetOptions {
  limiter: RateLimiter;
  /** Operations per window, per caller. */
  budget: RateBudget;
  /** Where a caller without a key gets its address from. @default the TCP peer */
  identity?: IdentityOptions;
}

/** The store's key scope of the operation budget. */
export const operationScope = 'operation';

/** What the budget said to one HTTP request's operations (several in a batch). */
interface Verdicts {
  /** The latest decision, for the `RateLimit-*` headers. */
  decision?: RateLimitDecision;
  operations: number;
  refused: number;
  /** The refusals' highest HTTP status and longest `Retry-After`. */
  status: number;
  retryAfter: number;
}

export function useOperationBudget(options: OperationBudgetOptions): Plugin {
  const { limiter, budget } = options;
  const identityOptions = options.identity ?? {};
  const verdicts = new WeakMap<Request, Verdicts>();
  return {
    async onParams({ request, params, context, setResult }) {
      // A batch entry that is no object (`null`) is no operation: yoga refuses it, and it costs nothing.
      if (typeof params !== 'object' || params === null || Array.isArray(params)) return;
      const identity = await identityFor(request, context, identityOptions);
      const verdict = await limiter.check(identity, operationScope, budget, requestIdFor(request));
      let seen = verdicts.get(request);
      if (seen === undefined) verdicts.set(request, (seen = { operations: 0, refused: 0, status: 0, retryAfter: 0 }));
      seen.operations++;
      if (verdict.kind === 'allowed' || verdict.kind === 'limited') seen.decision = verdict.decision;
      if (verdict.kind === 'allowed' || verdict.kind === 'unchecked') return;
      const error = verdict.kind === 'limited' ? rateLimitedError({ retryAfter: secondsUntil(verdict.decision.resetMs), limit: verdict.decision.limit }) : limiterUnavailableError(true);
      const { status, headers } = error.extensions['http'] as { status: number; headers: Record<string, string> };
      seen.refused++;
      seen.status = Math.max(seen.status, status);
      seen.retryAfter = Math.max(seen.retryAfter, Number(headers['Retry-After']));
      setResult({ errors: [error] });
    },
    onResponse({ request, response, setResponse, fetchAPI }) {
      const seen = verdicts.get(request);
      if (seen === undefined) return;
      if (seen.decision !== undefined) for (const [name, value] of Object.entries(rateLimitHeaders(seen.decision))) response.headers.set(name, value);
      // yoga answers a batch (even of one) 200 whatever its items say: a batch refused whole is
      // refused as one operation is. A lone refused operation is a 429 or 503 already.
      if (seen.refused === seen.operations && response.status === 200) {
        response.headers.set('retry-after', String(seen.retryAfter));
        setResponse(new fetchAPI.Response(response.body, { status: seen.status, headers: response.headers }));
      }
    },
  };
}
