import { describe, expect, it } from 'vitest';
import { createEtagCache } from '../../src/upstream/etag-cache.js';

describe('createEtagCache', () => {
  it('keys by URL, credential and language, never by trace context', () => {
    const cache = createEtagCache();
    const url = 'http://127.0.0.1:1/api/v1/users/u-1';
    const alice = cache.keyFor(url, { authorization: 'Bearer alice', traceparent: '00-a-b-01' });
    expect(cache.keyFor(url, { authorization: 'Bearer alice', traceparent: '00-c-d-01' })).toBe(alice);
    expect(cache.keyFor(url, { authorization: 'Bearer bob' })).not.toBe(alice);
    expect(cache.keyFor(url, { authorization: 'Bearer alice', 'accept-language': 'fr' })).not.toBe(alice);
    expect(cache.keyFor(`${url}x`, { authorization: 'Bearer alice' })).not.toBe(alice);
  });

  it('cannot be confused by a credential that contains the separator', () => {
    const cache = createEtagCache();
    expect(cache.keyFor('http://a/x', { authorization: 'b' })).not.toBe(cache.keyFor('http://a/x", "b', {}));
  });

  it('keeps at most maxEntries bodies, dropping the least recently used', () => {
    const cache = createEtagCache({ maxEntries: 2 });
    cache.set('a', { etag: '"1"', value: 1, bytes: 10 });
    cache.set('b', { etag: '"2"', value: 2, bytes: 10 });
    cache.get('a');
    cache.set('c', { etag: '"3"', value: 3, bytes: 10 });
    expect(cache.get('a')).toEqual({ etag: '"1"', value: 1, bytes: 10 });
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('c')).toEqual({ etag: '"3"', value: 3, bytes: 10 });
  });

  it('keeps at most maxBytes, and no body larger than a sixteenth of them', () => {
    const cache = createEtagCache({ maxBytes: 1600 });
    for (const key of ['a', 'b', 'c', 'd', 'e']) cache.set(key, { etag: `"${key}"`, value: key, bytes: 100 });
    cache.set('big', { etag: '"big"', value: 'big', bytes: 101 });
    expect(cache.get('big')).toBeUndefined();
    for (let i = 0; i < 12; i++) cache.set(`k${i}`, { etag: `"k${i}"`, value: i, bytes: 100 });
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('k11')).toEqual({ etag: '"k11"', value: 11, bytes: 100 });
  });
});
