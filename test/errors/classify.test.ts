import { describe, expect, it } from 'vitest';
import { codeForFailure, foldCode, maxCodeLength, wellKnownCodes, type ErrorOverrides } from '../../src/errors/classify.js';
import { statusOfCode, type ErrorCode } from '../../src/errors/codes.js';
import type { UpstreamErrorReport, UpstreamFailure } from '../../src/upstream/failure.js';

function response(status: number, report: Partial<UpstreamErrorReport> = {}): UpstreamFailure {
  return { kind: 'response', status, report: { dialect: report.code === undefined ? 'none' : 'flat', fieldErrors: [], details: {}, ...report } };
}

const classify = (status: number, code?: string, overrides?: ErrorOverrides, service = 'svc') =>
  codeForFailure(response(status, code === undefined ? {} : { code }), service, overrides);

/** Each casing a well-known code may arrive in. */
function casings(folded: string): string[] {
  const camel = folded.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
  return [folded, folded.toUpperCase(), folded.replace(/_/g, '-'), camel, camel.charAt(0).toUpperCase() + camel.slice(1)];
}

/** A status of the same class as the code's canonical status, other than that status itself where possible. */
function agreeingStatus(code: ErrorCode): number {
  return statusOfCode[code] >= 500 ? 599 : 418;
}

describe('codeForFailure: status table (ERRORS.md §1, "from upstream HTTP status")', () => {
  it.each<[number, ErrorCode]>([
    [401, 'UNAUTHENTICATED'],
    [403, 'FORBIDDEN'],
    [404, 'NOT_FOUND'],
    [410, 'NOT_FOUND'],
    [400, 'VALIDATION_ERROR'],
    [422, 'VALIDATION_ERROR'],
    [429, 'RATE_LIMITED'],
    [409, 'CONFLICT'],
    [402, 'QUOTA_EXCEEDED'],
    [413, 'PAYLOAD_TOO_LARGE'],
    [415, 'UNSUPPORTED_MEDIA_TYPE'],
    [500, 'UPSTREAM_ERROR'],
    [502, 'BAD_GATEWAY'],
    [503, 'SERVICE_UNAVAILABLE'],
    [504, 'GATEWAY_TIMEOUT'],
    [408, 'GATEWAY_TIMEOUT'],
    [501, 'UPSTREAM_ERROR'],
    [505, 'UPSTREAM_ERROR'],
  ])('maps a bare %i to %s', (status, code) => {
    expect(classify(status)).toBe(code);
  });
});

describe('codeForFailure: fallbacks (ERRORS.md §2, step 4)', () => {
  it.each<[number, ErrorCode]>([
    [418, 'VALIDATION_ERROR'],
    [451, 'VALIDATION_ERROR'],
    [499, 'VALIDATION_ERROR'],
    [599, 'UPSTREAM_ERROR'],
    [550, 'UPSTREAM_ERROR'],
    [100, 'BAD_GATEWAY'],
    [199, 'BAD_GATEWAY'],
    [300, 'BAD_GATEWAY'],
    [307, 'BAD_GATEWAY'],
    [200, 'BAD_GATEWAY'],
    [600, 'BAD_GATEWAY'],
  ])('maps an unlisted %i to %s', (status, code) => {
    expect(classify(status)).toBe(code);
  });
});

describe('codeForFailure: well-known upstream codes (ERRORS.md §1, last column)', () => {
  const rows: [string, ErrorCode][] = [
    ['unauthorized', 'UNAUTHENTICATED'],
    ['unauthenticated', 'UNAUTHENTICATED'],
    ['invalid_api_key', 'UNAUTHENTICATED'],
    ['invalid_token', 'UNAUTHENTICATED'],
    ['expired_token', 'UNAUTHENTICATED'],
    ['forbidden', 'FORBIDDEN'],
    ['permission_denied', 'FORBIDDEN'],
    ['access_denied', 'FORBIDDEN'],
    ['insufficient_scope', 'FORBIDDEN'],
    ['not_found', 'NOT_FOUND'],
    ['resource_not_found', 'NOT_FOUND'],
    ['bad_request', 'VALIDATION_ERROR'],
    ['validation_error', 'VALIDATION_ERROR'],
    ['validation_failed', 'VALIDATION_ERROR'],
    ['invalid_request', 'VALIDATION_ERROR'],
    ['invalid_argument', 'VALIDATION_ERROR'],
    ['unprocessable_entity', 'VALIDATION_ERROR'],
    ['rate_limited', 'RATE_LIMITED'],
    ['rate_limit_exceeded', 'RATE_LIMITED'],
    ['too_many_requests', 'RATE_LIMITED'],
    ['throttled', 'RATE_LIMITED'],
    ['conflict', 'CONFLICT'],
    ['already_exists', 'CONFLICT'],
    ['invalid_state', 'CONFLICT'],
    ['bad_transition', 'CONFLICT'],
    ['locked', 'CONFLICT'],
    ['idempotency_conflict', 'CONFLICT'],
    ['plan_limit', 'QUOTA_EXCEEDED'],
    ['usage_limit_exceeded', 'QUOTA_EXCEEDED'],
    ['quota_exceeded', 'QUOTA_EXCEEDED'],
    ['payload_too_large', 'PAYLOAD_TOO_LARGE'],
    ['file_too_large', 'PAYLOAD_TOO_LARGE'],
    ['unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE'],
    ['unsupported_file_type', 'UNSUPPORTED_MEDIA_TYPE'],
    ['internal_error', 'UPSTREAM_ERROR'],
    ['server_error', 'UPSTREAM_ERROR'],
    ['bad_gateway', 'BAD_GATEWAY'],
    ['service_unavailable', 'SERVICE_UNAVAILABLE'],
    ['unavailable', 'SERVICE_UNAVAILABLE'],
    ['timeout', 'GATEWAY_TIMEOUT'],
    ['gateway_timeout', 'GATEWAY_TIMEOUT'],
  ];

  it('covers every exact name of the table', () => {
    expect(Object.fromEntries(rows)).toEqual(wellKnownCodes);
  });

  it.each(rows.flatMap(([folded, code]) => casings(folded).map((sent) => [sent, code, agreeingStatus(code)] as const)))(
    'maps %j to %s on a %i',
    (sent, code, status) => {
      expect(classify(status, sent)).toBe(code);
    },
  );
});

describe('codeForFailure: prefix and suffix patterns', () => {
  it.each<[string, number, ErrorCode]>([
    ['invalid_mode', 400, 'VALIDATION_ERROR'],
    ['INVALID_STATUS_TRANSITION', 400, 'VALIDATION_ERROR'],
    ['invalidCursor', 418, 'VALIDATION_ERROR'],
    ['SYNTHESIS_IN_PROGRESS', 409, 'CONFLICT'],
    ['export-in-progress', 400, 'CONFLICT'],
    ['SYNTHESIS_FAILED', 500, 'UPSTREAM_ERROR'],
    ['query_failed', 503, 'UPSTREAM_ERROR'],
    ['aiFailed', 502, 'UPSTREAM_ERROR'],
    ['AGENT_NOT_CONFIGURED', 503, 'SERVICE_UNAVAILABLE'],
    ['mailer-not-configured', 500, 'SERVICE_UNAVAILABLE'],
  ])('maps %j on a %i to %s', (code, status, expected) => {
    expect(classify(status, code)).toBe(expected);
  });

  it.each<[string, number, ErrorCode]>([
    ['invalid_state', 400, 'CONFLICT'],
    ['INVALID_STATE', 422, 'CONFLICT'],
    ['validation_failed', 400, 'VALIDATION_ERROR'],
    ['invalid_api_key', 400, 'UNAUTHENTICATED'],
    ['invalid_token', 403, 'UNAUTHENTICATED'],
    ['invalid_request', 409, 'VALIDATION_ERROR'],
  ])('lets the exact name %j beat the patterns on a %i (%s)', (code, status, expected) => {
    expect(classify(status, code)).toBe(expected);
  });

  it.each<[string, number, ErrorCode]>([
    ['validation_failed', 500, 'UPSTREAM_ERROR'],
    ['invalid_state', 503, 'SERVICE_UNAVAILABLE'],
    ['upload_failed', 400, 'VALIDATION_ERROR'],
    ['db_not_configured', 422, 'VALIDATION_ERROR'],
    ['invalid_config', 500, 'UPSTREAM_ERROR'],
    ['sync_in_progress', 503, 'SERVICE_UNAVAILABLE'],
  ])('ignores %j on a %i, whose class disagrees (%s by status)', (code, status, expected) => {
    expect(classify(status, code)).toBe(expected);
  });

  it(`reads a code of up to ${maxCodeLength} characters, and goes by the status past that`, () => {
    const code = (length: number) => `${'x'.repeat(length - '_not_configured'.length)}_not_configured`;
    expect(classify(500, code(maxCodeLength))).toBe('SERVICE_UNAVAILABLE');
    expect(classify(500, code(maxCodeLength + 1))).toBe('UPSTREAM_ERROR');
    expect(classify(500, code(1_000_000))).toBe('UPSTREAM_ERROR');
  });
});

describe('codeForFailure: class agreement (ERRORS.md §2, step 2)', () => {
  it.each<[string, number, ErrorCode]>([
    ['internal_error', 404, 'NOT_FOUND'],
    ['not_found', 500, 'UPSTREAM_ERROR'],
    ['forbidden', 503, 'SERVICE_UNAVAILABLE'],
    ['rate_limited', 500, 'UPSTREAM_ERROR'],
    ['service_unavailable', 400, 'VALIDATION_ERROR'],
    ['timeout', 408, 'GATEWAY_TIMEOUT'],
    ['conflict', 400, 'CONFLICT'],
    ['unavailable', 500, 'SERVICE_UNAVAILABLE'],
    ['not_found', 400, 'NOT_FOUND'],
    ['bad_gateway', 302, 'BAD_GATEWAY'],
    ['not_found', 302, 'BAD_GATEWAY'],
    ['something_else', 422, 'VALIDATION_ERROR'],
  ])('maps code %j on a %i to %s', (code, status, expected) => {
    expect(classify(status, code)).toBe(expected);
  });
});

describe('codeForFailure: not enumerable (ERRORS.md §7)', () => {
  it.each<[string, number, ErrorCode]>([
    ['not_found', 401, 'UNAUTHENTICATED'],
    ['not_found', 403, 'FORBIDDEN'],
    ['resource_not_found', 401, 'UNAUTHENTICATED'],
    ['RESOURCE-NOT-FOUND', 403, 'FORBIDDEN'],
  ])('never maps %j on a %i to NOT_FOUND', (code, status, expected) => {
    expect(classify(status, code)).toBe(expected);
  });

  it('never maps a 401 to NOT_FOUND even by override', () => {
    expect(classify(401, 'context_missing', { svc: { context_missing: 'NOT_FOUND' } })).toBe('UNAUTHENTICATED');
  });

  it('never maps a 403 to NOT_FOUND by a Problem type override', () => {
    const failure = response(403, { dialect: 'problem', problemType: 'https://x/hidden' });
    expect(codeForFailure(failure, 'svc', { svc: { 'https://x/hidden': 'NOT_FOUND' } })).toBe('FORBIDDEN');
  });
});

describe('codeForFailure: per-service overrides (ERRORS.md §2, step 1)', () => {
  const defaults: ErrorOverrides = { workspaces: { SOURCES_NOT_READY: 'CONFLICT' } };

  it.each<[string, string, number, ErrorCode]>([
    ['maps the default example, workspaces SOURCES_NOT_READY on a 422, to CONFLICT', 'SOURCES_NOT_READY', 422, 'CONFLICT'],
    ['matches an override in kebab case', 'sources-not-ready', 422, 'CONFLICT'],
    ['matches an override in camel case', 'sourcesNotReady', 422, 'CONFLICT'],
    ['matches an override in lower snake case', 'sources_not_ready', 400, 'CONFLICT'],
    ['lets an override cross classes: it is the operator’s explicit word', 'SOURCES_NOT_READY', 500, 'CONFLICT'],
  ])('%s', (_name, code, status, expected) => {
    expect(classify(status, code, defaults, 'workspaces')).toBe(expected);
  });

  it('applies overrides to their own service only', () => {
    expect(classify(422, 'SOURCES_NOT_READY', defaults, 'projects')).toBe('VALIDATION_ERROR');
  });

  it('folds the override key too', () => {
    expect(classify(400, 'SOURCES_NOT_READY', { workspaces: { 'sources-not-ready': 'CONFLICT' } }, 'workspaces')).toBe('CONFLICT');
  });

  it('wins over a well-known code', () => {
    expect(classify(404, 'not_found', { directory: { not_found: 'FORBIDDEN' } }, 'directory')).toBe('FORBIDDEN');
  });

  it('matches an exact Problem type URI', () => {
    const failure = response(400, { dialect: 'problem', code: 'validation', problemType: 'https://problems.example/budget-spent' });
    expect(codeForFailure(failure, 'knowledge', { knowledge: { 'https://problems.example/budget-spent': 'QUOTA_EXCEEDED' } })).toBe('QUOTA_EXCEEDED');
  });

  it('does not match a Problem type URI that differs', () => {
    const failure = response(400, { dialect: 'problem', problemType: 'https://problems.example/budget-spent/other' });
    expect(codeForFailure(failure, 'knowledge', { knowledge: { 'https://problems.example/budget-spent': 'QUOTA_EXCEEDED' } })).toBe('VALIDATION_ERROR');
  });

  it('applies to a redirect too; without one a redirect stays BAD_GATEWAY whatever its body says', () => {
    const redirect = (code: string): UpstreamFailure => ({ kind: 'redirect', status: 308, report: { dialect: 'nested', code, fieldErrors: [], details: {} } });
    expect(codeForFailure(redirect('user_moved'), 'directory', { directory: { user_moved: 'NOT_FOUND' } })).toBe('NOT_FOUND');
    expect(codeForFailure(redirect('user_moved'), 'directory', { projects: { user_moved: 'NOT_FOUND' } })).toBe('BAD_GATEWAY');
    expect(codeForFailure(redirect('not_found'), 'directory')).toBe('BAD_GATEWAY');
  });

  it('ignores a service named like an Object.prototype member', () => {
    expect(classify(404, 'x', {}, 'constructor')).toBe('NOT_FOUND');
    expect(classify(404, 'toString', { svc: {} })).toBe('NOT_FOUND');
  });
});

describe('codeForFailure: transport failures (ERRORS.md §2)', () => {
  it.each<[UpstreamFailure, ErrorCode]>([
    [{ kind: 'refused' }, 'SERVICE_UNAVAILABLE'],
    [{ kind: 'reset' }, 'SERVICE_UNAVAILABLE'],
    [{ kind: 'malformed' }, 'BAD_GATEWAY'],
    [{ kind: 'timeout' }, 'GATEWAY_TIMEOUT'],
    [{ kind: 'deadline' }, 'GATEWAY_TIMEOUT'],
    [{ kind: 'too-large', limitBytes: 1024 }, 'BAD_GATEWAY'],
    [{ kind: 'invalid-body', status: 200, reason: 'not JSON' }, 'BAD_GATEWAY'],
    [{ kind: 'redirect', status: 302, report: { dialect: 'none', fieldErrors: [], details: {} } }, 'BAD_GATEWAY'],
    [{ kind: 'circuit-open', retryAfterSeconds: 5 }, 'SERVICE_UNAVAILABLE'],
    [{ kind: 'invalid-id', reason: 'an id must not be empty' }, 'VALIDATION_ERROR'],
    [{ kind: 'invalid-key', reason: 'too long' }, 'VALIDATION_ERROR'],
    [{ kind: 'aborted' }, 'GATEWAY_TIMEOUT'],
  ])('maps %o to %s', (failure, code) => {
    expect(codeForFailure(failure, 'svc', { svc: { refused: 'NOT_FOUND' } })).toBe(code);
  });
});

describe('foldCode', () => {
  it.each<[string, string]>([
    ['SOURCES_NOT_READY', 'sources_not_ready'],
    ['sources-not-ready', 'sources_not_ready'],
    ['sourcesNotReady', 'sources_not_ready'],
    ['SourcesNotReady', 'sources_not_ready'],
    ['invalidAPIKey', 'invalid_api_key'],
    ['HTTPError', 'http_error'],
    ['oauth2Error', 'oauth2_error'],
    ['  not found  ', 'not_found'],
    ['rate.limited', 'rate_limited'],
    ['--x--', 'x'],
    ['', ''],
  ])('folds %j to %j', (code, folded) => {
    expect(foldCode(code)).toBe(folded);
  });

  it('folds a megabyte of capitals without backtracking', () => {
    expect(foldCode('A'.repeat(1_000_000))).toHaveLength(1_000_000);
  });
});
