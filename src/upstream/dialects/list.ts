/**
 * Error lists (JSON:API and alike): `{ "errors": [{ "code", "detail", "source": { "pointer" } }] }`.
 * The first item gives the code and message; every item naming a field is a field error.
 */
import { firstString, isJsonObject, memberOf, readFieldErrors, stringMember, type DialectReader } from './dialect-reader.js';

/**
 * Recognised by a non-empty `errors` array whose first item is an object: a stray string further
 * on must not cost the code and message the first item carries. Only object items are read.
 */
export const listDialect: DialectReader = {
  dialect: 'list',
  recognise(body) {
    const errors = memberOf(body, 'errors');
    return Array.isArray(errors) && isJsonObject(errors[0]);
  },
  read(body) {
    const errors = memberOf(body, 'errors') as unknown[];
    const first = errors[0];
    const head = isJsonObject(first) ? first : {};
    return {
      code: stringMember(head, 'code'),
      message: firstString(head, ['detail', 'message', 'title']),
      fieldErrors: readFieldErrors(errors),
      details: {},
    };
  },
};
