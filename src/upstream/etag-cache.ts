/**
 * Bodies of GET responses that carried an `ETag`, kept so that the next identical call can send
 * `If-None-Match` and be answered with a 304. Bounded in entries and in bytes (least recently used
 * entries go first; a body too large for a sixteenth of the budget is not kept) and keyed by URL
 * and by every caller header that can change the answer: a credential never sees a body cached
 * for another. Kept in process, not in Redis: see README, "Conditional caching".
 */
import { LRUCache } from 'lru-cache';

export interface EtagCacheOptions {
  /** Most bodies kept, in entries. @default 1000 */
  maxEntries?: number;
  /** Most bytes kept, counted as two per character of the bodies' text (and the validator's). @default 16 MiB */
  maxBytes?: number;
}

/** One cached answer: the validator to send back and the body it stands for, as text. */
export interface CachedBody {
  etag: string;
  /** The body, decoded to text; parsed again on each 304, so that what is held is what is counted. */
  text: string;
}

export interface EtagCache {
  /** The key for a GET of `url` made with these forwarded caller headers. */
  keyFor(url: string, forwardHeaders: Readonly<Record<string, string>>): string;
  get(key: string): CachedBody | undefined;
  set(key: string, body: CachedBody): void;
  /** Forgets the body kept for `key`: a newer answer came without a validator. */
  delete(key: string): void;
}

export function createEtagCache(options: EtagCacheOptions = {}): EtagCache {
  // Counted in bytes, not only entries: keys include the credential, which a caller can vary at
  // will, and 1000 bodies of 10 MB each would not fit in any container.
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const entries = new LRUCache<string, CachedBody>({
    max: options.maxEntries ?? 1000,
    maxSize: maxBytes,
    maxEntrySize: Math.max(1, Math.floor(maxBytes / 16)),
    // Two bytes a character, what V8 takes at most; at least 1: lru-cache refuses a size of 0.
    sizeCalculation: (body) => Math.max(1, 2 * (body.text.length + body.etag.length)),
  });
  return {
    // The caller headers an upstream may answer differently for (`traceparent` is not one), in
    // one string with the URL, apart by a line feed, which none of them can hold: a URL encodes
    // it and a header value cannot carry it.
    keyFor: (url, forwardHeaders) => `${url}\n${forwardHeaders['authorization'] ?? ''}\n${forwardHeaders['accept-language'] ?? ''}`,
    get: (key) => entries.get(key),
    set: (key, body) => void entries.set(key, body),
    delete: (key) => void entries.delete(key),
  };
}
