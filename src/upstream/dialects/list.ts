/**
 * Error lists (JSON:API and alike): `{ "errors": [{ "code", "detail", "source": { "pointer" } }] }`.
 * The first item gives the code and message; every item naming a field is a field error.
 */
import { firstString, isJsonObject, maxFieldErrors, memberOf, readFieldErrors, stringMember, type DialectReader, type JsonObject } from './dialect-reader.js';

/**
 * Recognised by an `errors` array with an object among its first `maxFieldErrors` items: a
 * stray string or `null` must not cost the code and message an object item carries. Only object
 * items are read, and the first of them gives the code and message.
 */
export const listDialect: DialectReader = {
  dialect: 'list',
  recognise(body) {
    return firstObjectItem(memberOf(body, 'errors')) !== undefined;
  },
  read(body) {
    const errors = memberOf(body, 'errors') as unknown[];
    const head = firstObjectItem(errors) ?? {};
    return {
      code: stringMember(head, 'code'),
      message: firstString(head, ['detail', 'message', 'title']),
      fieldErrors: readFieldErrors(errors),
      details: {},
    };
  },
};

/** The first object among an `errors` array's first `maxFieldErrors` items: the one that speaks for the list. */
export function firstObjectItem(items: unknown): JsonObject | undefined {
  if (!Array.isArray(items)) return undefined;
  for (let i = 0; i < items.length && i < maxFieldErrors; i++) if (isJsonObject(items[i])) return items[i] as JsonObject;
  return undefined;
}
