/**
 * Per-caller limits of expensive fields (`RATE_LIMIT_START_SYNTHESIS`, `RATE_LIMIT_KNOWLEDGE`).
 * Like `@envelop/rate-limiter`'s `rateLimiterFn`, the check is put on the context; fields that
 * declare a limit (`schema/rate-limited.ts`) call it as they resolve. A field over its limit
 * throws `RATE_LIMITED` with `retryAfter` from its resolver, so that field alone is null, with
 * one error at its path, and the rest of the operation keeps its data (ERRORS.md §5), where the
 * engine's own plugin would stop the whole execution.
 */
import type { Plugin } from 'graphql-yoga';
import type { FieldLimitName, RateBudget } from '../config.js';
import { limiterUnavailableError, rateLimitedError } from '../errors/rate-limited.js';
import { identityFor, type IdentityOptions } from '../rate-limit/identity.js';
import type { RateLimiter } from '../rate-limit/limiter.js';
import { secondsUntil } from '../rate-limit/store.js';
import { requestIdFor } from './use-request-id.js';

export interface FieldLimitsOptions {
  limiter: RateLimiter;
  /** Calls per window, per caller, by field; `undefined` leaves a field unlimited. */
  limits: Readonly<Record<FieldLimitName, RateBudget | undefined>>;
  /** Where a caller without a key gets its address from. @default the TCP peer */
  identity?: IdentityOptions;
}

/** What this plugin adds to the GraphQL context. */
export interface FieldLimitContext {
  /** Counts one call of the field for this request's caller; throws when it is over its limit. */
  limitField(name: FieldLimitName): Promise<void>;
}

export function useFieldLimits(options: FieldLimitsOptions): Plugin<FieldLimitContext> {
  const { limiter, limits } = options;
  const identityOptions = options.identity ?? {};
  return {
    onContextBuilding({ context, extendContext }) {
      const { request } = context;
      extendContext({
        async limitField(name) {
          const budget = limits[name];
          if (budget === undefined) return;
          const identity = await identityFor(request, context, identityOptions);
          const verdict = await limiter.check(identity, `field:${name}`, budget, requestIdFor(request));
          if (verdict.kind === 'limited') {
            throw rateLimitedError({ retryAfter: secondsUntil(verdict.decision.resetMs), limit: verdict.decision.limit, field: name });
          }
          if (verdict.kind === 'unavailable') throw limiterUnavailableError(false);
        },
      });
    },
  };
}
