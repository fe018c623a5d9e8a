/**
 * `conflux/client`: typed errors and a retry policy for Apollo Client 4 users of a Conflux
 * gateway. Needs `@apollo/client` 4 and `rxjs` 7 (optional peer dependencies of the package);
 * imports nothing of the gateway itself.
 */
export {
  AuthError,
  ConflictError,
  ConfluxError,
  ConnectionError,
  NotFoundError,
  QuotaError,
  RateLimitError,
  ScopeError,
  ServerError,
  ValidationError,
  createConfluxError,
  errorClassOfCode,
  isConfluxErrorCode,
  type ClientOnlyCode,
  type ConfluxErrorCode,
  type ConfluxErrorInit,
  type UpstreamInfo,
} from './errors.js';
export { codeOfStatus, fromGraphQLError, toConfluxError, toConfluxErrors } from './to-conflux-error.js';
export { createRetryLink, defaultAttemptTimeoutMs, defaultMaxAttempts, defaultRetryDelaysMs, isRetryable, retryWaitMs, type RetryLinkOptions } from './retry-link.js';
