/**
 * The local stand-in for @whatwg-node/promise-helpers (packages/promise-helpers-compat): version 2
 * of the package, plus the `mapMaybePromise` that graphql-yoga 5 and envelop 5 still import.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as helpers from '@whatwg-node/promise-helpers';

const required = createRequire(import.meta.url)('@whatwg-node/promise-helpers') as typeof helpers;

describe.each([
  ['imported', helpers],
  ['required', required],
])('@whatwg-node/promise-helpers, %s', (_, { mapMaybePromise, handleMaybePromise, fakePromise }) => {
  it('maps a plain value synchronously, as 1.x did', () => {
    expect(mapMaybePromise(2, (value: number) => value * 3)).toBe(6);
  });

  it('maps a promise into a promise, and a rejection through onError', async () => {
    await expect(mapMaybePromise(Promise.resolve(2), (value: number) => value * 3)).resolves.toBe(6);
    await expect(mapMaybePromise(Promise.reject(new Error('no')), () => '', (error: Error) => error.message)).resolves.toBe('no');
  });

  it('is version 2: handleMaybePromise calls its factories without wrapping a plain value', () => {
    expect(handleMaybePromise(() => 1, (value: number) => value + 1)).toBe(2);
    expect(Object.getPrototypeOf(fakePromise(1))).not.toBe(Object.prototype);
  });
});
