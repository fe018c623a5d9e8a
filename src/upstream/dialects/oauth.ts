/**
 * OAuth-style errors (RFC 6749 §5.2 and alike): `{ "error": "invalid_token",
 * "error_description": "..." }`.
 */
import { firstString, memberOf, stringMember, type DialectReader } from './dialect-reader.js';

/** Recognised by a string `error` member. */
export const oauthDialect: DialectReader = {
  dialect: 'oauth',
  recognise(body) {
    return typeof memberOf(body, 'error') === 'string';
  },
  read(body) {
    return {
      code: stringMember(body, 'error'),
      message: firstString(body, ['error_description', 'message']),
      fieldErrors: [],
      details: {},
    };
  },
};
