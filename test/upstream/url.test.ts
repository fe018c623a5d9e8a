/**
 * Upstream URLs: every id one encoded segment under the service's base URL, whether the URL is
 * built for the first time or remembered from an earlier call.
 */
import { describe, expect, it } from 'vitest';
import { InvalidIdError, path, urlBuilder } from '../../src/upstream/url.js';

describe('urlBuilder', () => {
  const build = urlBuilder('http://127.0.0.1:8080/base/v2/');

  it('puts the path under the base URL, its prefix kept, each id one encoded segment', () => {
    expect(build(path`/projects/${'p 1/../x'}/sessions`)).toBe('http://127.0.0.1:8080/base/v2/projects/p%201%2F..%2Fx/sessions');
  });

  it('answers a path built before with the same URL', () => {
    const first = build(path`/projects/${'p-1'}`);
    expect(build(path`/projects/${'p-1'}`)).toBe(first);
    expect(build(path`/projects/${'p-2'}`)).toBe('http://127.0.0.1:8080/base/v2/projects/p-2');
  });

  it('adds the query without mixing it up with the same path built without one', () => {
    expect(build(path`/users`)).toBe('http://127.0.0.1:8080/base/v2/users');
    expect(build(path`/users`, { q: 'a&b=c', skipped: undefined })).toBe('http://127.0.0.1:8080/base/v2/users?q=a%26b%3Dc');
    // `%20` for a space, which any decoder reads as one; `+` (URLSearchParams' way) reads as a plus sign by RFC 3986.
    expect(build(path`/users`, { q: 'a b+c/ü?#', mode: 'hybrid' })).toBe('http://127.0.0.1:8080/base/v2/users?q=a%20b%2Bc%2F%C3%BC%3F%23&mode=hybrid');
    expect(build(path`/users`, { skipped: undefined })).toBe('http://127.0.0.1:8080/base/v2/users');
    expect(build(path`/users`)).toBe('http://127.0.0.1:8080/base/v2/users');
  });

  it('refuses an id that cannot be one segment every time it is asked, not only the first', () => {
    for (let round = 0; round < 2; round++) {
      expect(() => build(path`/projects/${'..'}`)).toThrow(InvalidIdError);
      expect(() => build(path`/projects/${''}`)).toThrow(InvalidIdError);
      expect(() => build(path`/projects/${'a\u0000b'}`)).toThrow(InvalidIdError);
    }
  });

  it('keeps a base path of inner slashes as it is, and drops trailing ones', () => {
    const prefix = `/a${'/'.repeat(200_000)}b`;
    expect(urlBuilder(`http://127.0.0.1:9090${prefix}//`)(path`/projects/${'p-1'}`)).toBe(`http://127.0.0.1:9090${prefix}/projects/p-1`);
  });

  it('keeps each service to its own base URL', () => {
    const other = urlBuilder('http://127.0.0.1:9090');
    expect(build(path`/projects/${'p-1'}`)).toBe('http://127.0.0.1:8080/base/v2/projects/p-1');
    expect(other(path`/projects/${'p-1'}`)).toBe('http://127.0.0.1:9090/projects/p-1');
  });
});
