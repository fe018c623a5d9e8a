/**
 * Flat coded errors: `{ "code": "NOT_FOUND", "message": "...", "details": { ... } }`
 * (the `workspaces` dialect).
 */
import { fieldErrorsIn, isJsonObject, memberOf, membersExcept, stringMember, type DialectReader } from './dialect-reader.js';

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
      // Some flat dialects list field complaints beside the code, or inside `details` (or as it).
      fieldErrors: fieldErrorsIn(body, details),
      details: kept,
    };
  },
};
