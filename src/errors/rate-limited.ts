/**
 * The gateway's own rate-limit errors (ERRORS.md §1, §5). A request-level one (the operation
 * budget) carries `extensions.http`, which yoga turns into the HTTP status and `Retry-After`;
 * a field-level one must not, or partial data would become a 4xx.
 */
import type { GraphQLError } from 'graphql';
import { statusOfCode } from './codes.js';
import { graphQLErrorWithoutStack } from './to-graphql-error.js';

export interface RateLimitedErrorOptions {
  /** Whole seconds until the caller may try again. */
  retryAfter: number;
  /** The budget that was spent, in calls per window. */
  limit: number;
  /** The limited field's name; absent for the operation budget. */
  field?: string;
}

/** `RATE_LIMITED`: HTTP 429 with `Retry-After` for the operation budget, a field error otherwise. */
export function rateLimitedError(options: RateLimitedErrorOptions): GraphQLError {
  const { retryAfter, limit, field } = options;
  const message =
    field === undefined
      ? `Operation budget spent: retry in ${retryAfter} s.`
      : `Too many calls to ${field}: retry in ${retryAfter} s.`;
  // The budget goes in `details`, the contract's place for usage figures (ERRORS.md §4).
  const extensions: Record<string, unknown> = { code: 'RATE_LIMITED', status: statusOfCode.RATE_LIMITED, retryAfter, details: { limit } };
  if (field === undefined) extensions['http'] = { status: 429, headers: { 'Retry-After': String(retryAfter) } };
  return graphQLErrorWithoutStack(message, { extensions });
}

/** Seconds a caller is told to wait when the rate limiter cannot decide and fails closed. */
export const limiterUnavailableRetryAfter = 5;

/** `SERVICE_UNAVAILABLE` when the rate limiter's store failed and it is configured to fail closed. */
export function limiterUnavailableError(requestLevel: boolean): GraphQLError {
  const retryAfter = limiterUnavailableRetryAfter;
  const extensions: Record<string, unknown> = { code: 'SERVICE_UNAVAILABLE', status: statusOfCode.SERVICE_UNAVAILABLE, retryAfter };
  if (requestLevel) extensions['http'] = { status: 503, headers: { 'Retry-After': String(retryAfter) } };
  return graphQLErrorWithoutStack('Rate limiting is unavailable: try again shortly.', { extensions });
}
