/** Reading an upstream body's text in the charset its Content-Type names. */
import { describe, expect, it } from 'vitest';
import { AssertionError } from 'node:assert';
import { bodyText, transportErrorFrom } from '../../src/upstream/read-body.js';

describe('bodyText', () => {
  const cafe = 'Café Müller';
  it.each([
    ['no Content-Type', undefined, Buffer.from(cafe, 'utf8')],
    ['no charset', 'application/json', Buffer.from(cafe, 'utf8')],
    ['charset=utf-8', 'application/json; charset=utf-8', Buffer.from(cafe, 'utf8')],
    ['charset=ISO-8859-1', 'application/json; charset=ISO-8859-1', Buffer.from(cafe, 'latin1')],
    ['a quoted charset, spaced and in other case', 'application/problem+json;Charset = "latin1"', Buffer.from(cafe, 'latin1')],
    ['charset=utf-16le', 'application/json; charset=utf-16le', Buffer.from(cafe, 'utf16le')],
  ])('reads %s', (_name, contentType, body) => {
    expect(bodyText(body, contentType)).toBe(cafe);
  });

  it.each(['windows-1252', 'ISO-8859-1', 'cp1252'])('reads windows-1252 letters at 0x80-0x9F under charset=%s, as the Encoding standard says', (label) => {
    const bytes = Buffer.from([0x80, 0x20, 0x93, 0x6f, 0x6b, 0x94, 0x20, 0x99, 0x20, 0xe9, 0x20, 0x81]);
    expect(bodyText(bytes, `application/json; charset=${label}`)).toBe('\u20ac \u201cok\u201d \u2122 \u00e9 \u0081');
  });

  it('reads a charset the runtime does not know as UTF-8, invalid bytes as U+FFFD', () => {
    expect(bodyText(Buffer.from(cafe, 'utf8'), 'application/json; charset=x-no-such-charset')).toBe(cafe);
    expect(bodyText(Buffer.from(cafe, 'latin1'), 'application/json')).toBe('Caf\uFFFD M\uFFFDller');
  });
});

describe('transportErrorFrom', () => {
  const live = new AbortController().signal;
  it('reads the HTTP client\'s assertion on a status below 100 as an answer that is not HTTP, and no other assertion', () => {
    const status = new AssertionError({ message: 'The expression evaluated to a falsy value:\n\n  assert(statusCode >= 100)\n' });
    expect(transportErrorFrom(status, live).kind).toBe('malformed');
    const other = new AssertionError({ message: 'The expression evaluated to a falsy value:\n\n  assert(!this.paused)\n' });
    expect(transportErrorFrom(other, live).kind).toBe('reset');
  });
});
