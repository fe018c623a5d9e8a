/**
 * Problem Details (RFC 9457, formerly RFC 7807): `{ type, title, status, detail, instance }`
 * plus extension members, and optionally an RFC 9457 `errors` array of field complaints.
 */
import { fieldErrorsIn, firstString, memberOf, membersExcept, stringMember, type DialectReader } from './dialect-reader.js';

const problemMembers = ['type', 'title', 'status', 'detail', 'instance', 'code', 'errors', 'fieldErrors', 'field_errors', 'invalid-params', 'invalid_params', 'invalidParams', 'violations'] as const;

/** Recognised by its media type, or by a `type` or `title` string beside a numeric `status`. */
export const problemDialect: DialectReader = {
  dialect: 'problem',
  recognise(body, contentType) {
    if (contentType === 'application/problem+json') return true;
    const hasTypeOrTitle = typeof memberOf(body, 'type') === 'string' || typeof memberOf(body, 'title') === 'string';
    return hasTypeOrTitle && typeof memberOf(body, 'status') === 'number';
  },
  read(body) {
    const problemType = stringMember(body, 'type');
    const code = stringMember(body, 'code') ?? codeFromType(problemType);
    return {
      code,
      // A body taken for a Problem (`type` and a numeric `status`) that puts its text in `message`, as coded dialects do.
      message: firstString(body, ['detail', 'title', 'message']),
      problemType,
      title: stringMember(body, 'title'),
      instance: stringMember(body, 'instance'),
      fieldErrors: fieldErrorsIn(body),
      details: membersExcept(body, problemMembers),
    };
  },
};

/**
 * A type URI longer than this gives no code: splitting megabytes of `/` into segments stalled
 * the gateway for seconds, and no real type URI comes near it.
 */
const maxTypeLength = 2048;

/**
 * The last path segment of a problem type URI as a code (`https://x/problems/not-found` →
 * `not_found`), as ERRORS.md §3 says: a query or fragment is not part of it
 * (`.../quota-exceeded#help` is `quota_exceeded`). Only a type with no path segment at all
 * (`#not-found`) is read from its fragment. A URN's last `:` part counts as a segment.
 * `about:blank` says nothing beyond the status: no code.
 */
export function codeFromType(type: string | undefined): string | undefined {
  if (type === undefined || type.length > maxTypeLength) return undefined;
  const uri = type.trim();
  if (uri === '' || uri.toLowerCase() === 'about:blank') return undefined;
  const hashAt = uri.indexOf('#');
  const fragment = hashAt >= 0 ? uri.slice(hashAt + 1) : '';
  const withoutQuery = (hashAt >= 0 ? uri.slice(0, hashAt) : uri).split('?')[0] ?? '';
  // The scheme and authority are not path segments: `https://x.example/#gone` has none.
  const path = withoutQuery.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/, '');
  const last = segmentsOf(path).at(-1) ?? segmentsOf(fragment).at(-1);
  return last === undefined ? undefined : last.replace(/-/g, '_');
}

function segmentsOf(text: string): string[] {
  return text.split(/[/:]/).filter((segment) => segment !== '');
}
