/**
 * Nested coded errors: `{ "error": { "code": "not_found", "message": "...", ... } }` (the
 * `directory` dialect; Google's `{ error: { code: 404, status: "NOT_FOUND" } }` too).
 */
import { fieldErrorsIn, isJsonObject, maxDetailMembers, memberOf, membersExcept, stringMember, type DialectReader, type JsonObject } from './dialect-reader.js';

/** Recognised by an object `error` that has a `code` member (of any type). */
export const nestedDialect: DialectReader = {
  dialect: 'nested',
  recognise(body) {
    const error = memberOf(body, 'error');
    return isJsonObject(error) && Object.hasOwn(error, 'code');
  },
  read(body) {
    const error = memberOf(body, 'error') as JsonObject;
    return {
      // A numeric `code` is an HTTP status repeated (Google style): the string `status` is the code then.
      code: stringMember(error, 'code') ?? (typeof memberOf(error, 'code') === 'number' ? stringMember(error, 'status') : undefined),
      message: stringMember(error, 'message'),
      fieldErrors: fieldErrorsIn(error, memberOf(error, 'details')),
      details: detailsOf(error),
    };
  },
};

/**
 * The other members of `error`, and those of its `details` object beside them (`{ error: { code,
 * message, details: { current, limit, plan } } }`), the error's own first.
 */
function detailsOf(error: JsonObject): Record<string, unknown> {
  const nested = memberOf(error, 'details');
  if (!isJsonObject(nested)) return membersExcept(error, ['code', 'message']);
  const details = membersExcept(error, ['code', 'message', 'details']);
  let kept = Object.keys(details).length;
  for (const [key, value] of Object.entries(membersExcept(nested, []))) {
    if (kept === maxDetailMembers) break;
    if (Object.hasOwn(details, key)) continue;
    details[key] = value;
    kept++;
  }
  return details;
}
