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
    cache.set('a', { etag: '"1"', text: '1' });
    cache.set('b', { etag: '"2"', text: '2' });
    cache.get('a');
    cache.set('c', { etag: '"3"', text: '3' });
    expect(cache.get('a')).toEqual({ etag: '"1"', text: '1' });
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('c')).toEqual({ etag: '"3"', text: '3' });
  });

  it('keeps at most maxBytes, two a character of text and validator, and no body larger than a sixteenth of them', () => {
    const cache = createEtagCache({ maxBytes: 1600 });
    // '"a"' and 47 characters: 100 bytes, a sixteenth of the budget exactly.
    for (const key of ['a', 'b', 'c', 'd', 'e']) cache.set(key, { etag: `"${key}"`, text: key.repeat(47) });
    expect(cache.get('a')?.text).toBe('a'.repeat(47));
    cache.set('f', { etag: '"f"', text: 'f'.repeat(48) });
    expect(cache.get('f')).toBeUndefined();
    for (let i = 0; i < 16; i++) cache.set(`k${i}`, { etag: `"${i % 10}"`, text: 'k'.repeat(47) });
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('k15')).toEqual({ etag: '"5"', text: 'k'.repeat(47) });
  });
});
