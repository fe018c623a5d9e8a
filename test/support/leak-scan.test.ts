import { describe, expect, it } from 'vitest';
import { assertNoLeaks, findLeaks } from './leak-scan.js';

describe('the leak scan', () => {
  it.each([
    ['a stack frame', '{"message":"x\\n    at Object.<anonymous> (/work/app/src/a.ts:3:9)"}'],
    ['a file path', '{"message":"open /home/app/.env failed"}'],
    ['a loopback or private address with a port', '{"message":"connect ECONNREFUSED 127.0.0.1:5432"}'],
    ['SQL', '{"message":"SELECT email FROM users WHERE id = 1"}'],
    ['an HTML tag', '{"message":"<html><body>502</body></html>"}'],
  ])('finds %s', (name, text) => {
    expect(findLeaks(text)).toContain(name);
    expect(() => assertNoLeaks(text)).toThrow(name);
  });

  it('finds upstream headers relayed to the caller', () => {
    expect(() => assertNoLeaks('{}', new Headers({ 'x-powered-by': 'Express' }))).toThrow(/x-powered-by/);
  });

  it('passes a contract error', () => {
    expect(findLeaks('{"errors":[{"message":"Project p-9 not found","extensions":{"code":"NOT_FOUND","upstream":{"service":"projects","type":"https://problems.example/not-found","instance":"/api/v1/projects/p-9"}}}]}')).toEqual([]);
  });
});
