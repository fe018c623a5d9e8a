/**
 * What every dialect reader shares (ERRORS.md §3): the reader shape, safe member access on
 * parsed JSON, and field errors with JSON pointers folded to readable field names.
 */
import type { Dialect, FieldError, UpstreamErrorReport } from '../failure.js';

/** A parsed JSON object. Members are read with `memberOf`, never through the prototype. */
export type JsonObject = Record<string, unknown>;

/** The dialect-specific part of an `UpstreamErrorReport` (retryAfter and request id are read by `normalize.ts`). */
export type DialectReading = Pick<UpstreamErrorReport, 'code' | 'message' | 'problemType' | 'title' | 'instance' | 'fieldErrors' | 'details'>;

/** One error dialect: whether a body speaks it, and what it says. */
export interface DialectReader {
  readonly dialect: Exclude<Dialect, 'none'>;
  /** `contentType` is the media type alone, lower-cased, without parameters. */
  recognise(body: JsonObject, contentType: string): boolean;
  /** Only called on a body `recognise` accepted. */
  read(body: JsonObject): DialectReading;
}

/** The most field errors kept from one body; the rest are dropped. */
export const maxFieldErrors = 100;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own member only: `constructor`, `toString` and `__proto__` of the prototype never answer. */
export function memberOf(body: JsonObject, key: string): unknown {
  return Object.hasOwn(body, key) ? body[key] : undefined;
}

/** A non-empty string member, else `undefined`. */
export function stringMember(body: JsonObject, key: string): string | undefined {
  const value = memberOf(body, key);
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** The first of `keys` that is a non-empty string member. */
export function firstString(body: JsonObject, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = stringMember(body, key);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** The most detail members kept from one body, in the body's order; the rest are dropped. */
export const maxDetailMembers = 100;

/**
 * Copies own members but `exclude` into a fresh object, at most `maxDetailMembers` of them: each
 * one kept is looked at again when mapping and logging, and a body may hold a million. `__proto__`
 * is dropped: assigning it would change the copy's prototype instead of adding a member.
 */
export function membersExcept(body: JsonObject, exclude: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let kept = 0;
  for (const key in body) {
    if (!Object.hasOwn(body, key) || key === '__proto__' || exclude.includes(key)) continue;
    if (kept++ === maxDetailMembers) break;
    out[key] = body[key];
  }
  return out;
}

/**
 * A JSON pointer (`/mode`, `#/mode`, `/data/attributes/name`) as a field name: segments
 * unescaped (`~1` → `/`, `~0` → `~`) and joined with dots (`data.attributes.name`, array
 * indices too: `items.0.name`). Anything that is not a pointer is taken as a field name already.
 * The root pointer (`""`, `#`, `/`) names no field: `undefined`.
 */
export function fieldNameFromPointer(pointer: string): string | undefined {
  let text = pointer.trim();
  if (text.startsWith('#')) {
    text = text.slice(1);
    // A URI fragment pointer is percent-encoded.
    if (text.includes('%')) text = decodeOrKeep(text);
  }
  if (!text.startsWith('/')) return text === '' ? undefined : text;
  const segments = text
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .filter((segment) => segment !== '');
  return segments.length === 0 ? undefined : segments.join('.');
}

function decodeOrKeep(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A malformed escape is kept as sent: the field name stays readable, if odd.
    return text;
  }
}

/**
 * The members a list of field complaints goes by: RFC 9457's `errors`, RFC 7807's example
 * `invalid-params`, and the names APIs give it beside them (`fieldErrors`, Symfony's `violations`).
 */
const fieldErrorMembers = ['errors', 'fieldErrors', 'field_errors', 'invalid-params', 'invalid_params', 'invalidParams', 'violations'] as const;

/**
 * The field errors of the first of `places` that lists any: a place is such a list itself (a
 * `details` array), or an object holding one under a name of `fieldErrorMembers`.
 */
export function fieldErrorsIn(...places: unknown[]): FieldError[] {
  for (const place of places) {
    const lists = Array.isArray(place) ? [place] : isJsonObject(place) ? fieldErrorMembers.map((key) => memberOf(place, key)) : [];
    for (const list of lists) {
      const found = readFieldErrors(list);
      if (found.length > 0) return found;
    }
  }
  return [];
}

/**
 * Field errors from an `errors`-like array: each object item naming a field (`source.pointer`,
 * `source.parameter`, `pointer`, `field`, `propertyPath`, or `name` beside a `reason` as in RFC
 * 7807's `invalid-params`) becomes one, its message from `detail`, `message`, `title` or
 * `reason`. Items naming no field are not field errors (the first one's text is usually the
 * report's message already).
 */
export function readFieldErrors(items: unknown): FieldError[] {
  if (!Array.isArray(items)) return [];
  const out: FieldError[] = [];
  for (const item of items) {
    if (out.length >= maxFieldErrors) break;
    if (!isJsonObject(item)) continue;
    const field = fieldOf(item);
    if (field === undefined) continue;
    out.push({ field, message: firstString(item, ['detail', 'message', 'title', 'reason']) ?? '' });
  }
  return out;
}

function fieldOf(item: JsonObject): string | undefined {
  const source = memberOf(item, 'source');
  const raw =
    (isJsonObject(source) ? firstString(source, ['pointer', 'parameter']) : undefined) ??
    firstString(item, ['pointer', 'field', 'propertyPath']) ??
    // `name` alone is as often the error's own name (`ValidationError`) as a field's.
    (stringMember(item, 'reason') === undefined ? undefined : stringMember(item, 'name'));
  // A client sees at most 200 characters of a field's name; megabytes of `/` split into
  // segments would stall the gateway.
  return raw === undefined ? undefined : fieldNameFromPointer(raw.length > maxFieldLength ? raw.slice(0, maxFieldLength) : raw);
}

const maxFieldLength = 1024;
