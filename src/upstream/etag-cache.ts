/**
 * Bodies of GET responses that carried an `ETag`, kept so that the next identical call can send
 * `If-None-Match` and be answered with a 304. Bounded (least recently used entries go first) and
 * keyed by URL and by every caller header that can change the answer: a credential never sees a
 * body cached for another. Kept in process, not in Redis: see README, "Conditional caching".
 */
import { LRUCache } from 'lru-cache';

export interface EtagCacheOptions {
  /** Most bodies kept, in entries. @default 1000 */
  maxEntries?: number;
}

/** One cached answer: the validator to send back and the body it stands for (already parsed). */
export interface CachedBody {
  etag: string;
  value: unknown;
}

export interface EtagCache {
  /** The key for a GET of `url` made with these forwarded caller headers. */
  keyFor(url: string, forwardHeaders: Readonly<Record<string, string>>): string;
  get(key: string): CachedBody | undefined;
  set(key: string, body: CachedBody): void;
}

/** Caller headers an upstream may answer differently for; `traceparent` is not one of them. */
const varyingHeaders = ['authorization', 'accept-language'] as const;

export function createEtagCache(options: EtagCacheOptions = {}): EtagCache {
  const entries = new LRUCache<string, CachedBody>({ max: options.maxEntries ?? 1000 });
  return {
    keyFor: (url, forwardHeaders) => JSON.stringify([url, ...varyingHeaders.map((name) => forwardHeaders[name] ?? '')]),
    get: (key) => entries.get(key),
    set: (key, body) => void entries.set(key, body),
  };
}
