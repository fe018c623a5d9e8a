/**
 * Flat coded errors: `{ "code": "NOT_FOUND", "message": "...", "details": { ... } }`
 * (the `workspaces` dialect).
 */
import { isJsonObject, memberOf, membersExcept, readFieldErrors, stringMember, type DialectReader } from './dialect-reader.js';

/** Recognised by a string `code` and a string `message` at the top level. */
export const flatDialect: DialectReader = {
  dialect: 'flat',
  recognise(body) {
    return typeof memberOf(body, 'code') === 'string' && typeof memberOf(body, 'message') === 'string';
  },
  read(body) {
    const details = memberOf(body, 'details');
    const kept = isJsonObject(details) ? membersExcept(details, []) : details === undefined || details === null ? {} : { details };
    return {
      code: stringMember(body, 'code'),
      message: stringMember(body, 'message'),
      // Some flat dialects list field complaints beside the code, or inside `details`.
      fieldErrors: readFieldErrors(memberOf(body, 'errors') ?? (isJsonObject(details) ? memberOf(details, 'errors') : undefined)),
      details: kept,
    };
  },
};
