/** Reading an upstream body's text in the charset its Content-Type names. */
import { describe, expect, it } from 'vitest';
import { bodyText } from '../../src/upstream/read-body.js';

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

  it('reads a charset the runtime does not know as UTF-8, invalid bytes as U+FFFD', () => {
    expect(bodyText(Buffer.from(cafe, 'utf8'), 'application/json; charset=x-no-such-charset')).toBe(cafe);
    expect(bodyText(Buffer.from(cafe, 'latin1'), 'application/json')).toBe('Caf\uFFFD M\uFFFDller');
  });
});
