/**
 * Builds upstream URLs so that every id is exactly one encoded path segment under the service's
 * base URL (ERRORS.md §2, last paragraph). An id that cannot be one segment is refused before
 * any call.
 */
import { LRUCache } from 'lru-cache';

/** URLs remembered per service, by path (least recently used go first). */
const rememberedPaths = 1000;

/** The longest id accepted in a path segment. */
export const maxIdLength = 256;

/** Why an id cannot be a path segment, or `undefined` when it can. */
export function idProblem(id: string): string | undefined {
  if (id.length === 0) return 'an id must not be empty';
  if (id === '.' || id === '..') return 'an id must not be "." or ".."';
  // Characters are code points: an emoji is one, though it takes two UTF-16 units.
  if (id.length > maxIdLength && (id.length > 2 * maxIdLength || [...id].length > maxIdLength)) return `an id must be at most ${maxIdLength} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(id)) return 'an id must not contain control characters';
  // Half of a surrogate pair has no UTF-8 form: it cannot be percent-encoded.
  if (/\p{Cs}/u.test(id)) return 'an id must be well-formed Unicode';
  return undefined;
}

/** A path relative to a service's base URL, with its ids already checked and encoded. */
export interface UpstreamPath {
  /** Starts with `/`; each id is one encoded segment. */
  readonly path: string;
  /** How many segments the path has: the built URL must keep exactly these. */
  readonly segments: number;
}

/** Thrown by `path` for an id that cannot be one segment; the client turns it into `invalid-id`. */
export class InvalidIdError extends Error {
  override name = 'InvalidIdError';
}

/**
 * A tagged template: every interpolated value is an id, encoded as one segment.
 * `path\`/api/v1/projects/${id}/sessions\``
 */
export function path(strings: TemplateStringsArray, ...ids: string[]): UpstreamPath {
  let out = strings[0] ?? '';
  for (let index = 0; index < ids.length; index++) {
    const id = ids[index]!;
    const problem = idProblem(id);
    if (problem) throw new InvalidIdError(problem);
    out += encodeURIComponent(id) + (strings[index + 1] ?? '');
  }
  return { path: out, segments: slashesIn(out) };
}

/** How many `/` a path holds, which is its number of segments (counted without splitting it: this runs for every field that calls an upstream). */
function slashesIn(text: string): number {
  let count = 0;
  for (let at = text.indexOf('/'); at !== -1; at = text.indexOf('/', at + 1)) count++;
  return count;
}

/**
 * Trailing slashes, matched in linear time: `/\/+$/` starts again at every slash of a long run
 * that is not at the end (50,000 slashes before a letter took 4 s).
 */
export const trailingSlashes = /(?<!\/)\/+$/;

/**
 * Joins a base URL (which may carry a path prefix) and a path, adds the query, and checks that
 * the parsed URL still sits under the base with the same number of segments. The base is parsed
 * once, when the builder is made, not on every call; a path without a query is checked once and
 * remembered (a fan-out query builds the same 26 URLs on every request).
 */
export function urlBuilder(baseUrl: string): (target: UpstreamPath, query?: Readonly<Record<string, string | undefined>>) => string {
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(trailingSlashes, '');
  const prefixSegments = prefix === '' ? 0 : prefix.split('/').length - 1;
  const remembered = new LRUCache<string, string>({ max: rememberedPaths });
  return (target, query) => {
    const plain = query === undefined || Object.values(query).every((value) => value === undefined);
    const known = plain ? remembered.get(target.path) : undefined;
    if (known !== undefined) return known;
    // The query percent-encoded throughout (a space is `%20`): `URLSearchParams` writes a space as
    // `+`, which an upstream decoding by RFC 3986 alone reads as a plus sign.
    const search = plain ? '' : `?${Object.entries(query!).flatMap(([key, value]) => (value === undefined ? [] : [`${encodeURIComponent(key)}=${encodeURIComponent(value)}`])).join('&')}`;
    const url = new URL(base.origin + prefix + target.path + search);
    if (url.origin !== base.origin || !url.pathname.startsWith(prefix + '/') || url.pathname.split('/').length - 1 !== prefixSegments + target.segments) {
      throw new InvalidIdError('an id must stay one path segment');
    }
    if (plain) remembered.set(target.path, url.href);
    return url.href;
  };
}
