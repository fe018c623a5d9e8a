/**
 * Nested coded errors: `{ "error": { "code": "not_found", "message": "...", ... } }` (the
 * `directory` dialect; Google's `{ error: { code: 404, status: "NOT_FOUND" } }` too).
 */
import { isJsonObject, memberOf, membersExcept, readFieldErrors, stringMember, type DialectReader, type JsonObject } from './dialect-reader.js';

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
      fieldErrors: readFieldErrors(memberOf(error, 'errors')),
      details: membersExcept(error, ['code', 'message']),
    };
  },
};
