import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/rate-limit/memory-store.js';

const budget = { limit: 3, windowMs: 60_000 };

describe('the memory store', () => {
  it('counts down to the limit and refuses without counting the refused call', async () => {
    const store = createMemoryStore();
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push(await store.consume('key:a', 'operation', budget));
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
      [false, 0],
    ]);
    expect(decisions.every((d) => d.limit === 3 && d.resetMs > 0 && d.resetMs <= 60_000)).toBe(true);
  });

  it('keeps separate windows per scope and per caller', async () => {
    const store = createMemoryStore();
    await store.consume('key:a', 'operation', { limit: 1, windowMs: 1000 });
    expect((await store.consume('key:a', 'operation', { limit: 1, windowMs: 1000 })).allowed).toBe(false);
    expect((await store.consume('key:a', 'field:knowledge', { limit: 1, windowMs: 1000 })).allowed).toBe(true);
    expect((await store.consume('key:b', 'operation', { limit: 1, windowMs: 1000 })).allowed).toBe(true);
  });

  it('opens a new window once the old one has ended', async () => {
    let now = 1_000_000;
    const store = createMemoryStore({ now: () => now });
    for (let i = 0; i < 3; i++) await store.consume('key:a', 'operation', budget);
    expect((await store.consume('key:a', 'operation', budget)).allowed).toBe(false);
    now += 60_000;
    expect(await store.consume('key:a', 'operation', budget)).toEqual({ allowed: true, limit: 3, remaining: 2, resetMs: 60_000 });
  });

  it('forgets a caller whose windows have all ended', async () => {
    let now = 1_000_000;
    const store = createMemoryStore({ now: () => now });
    await store.consume('key:a', 'operation', budget);
    now += 60_001;
    await store.consume('key:b', 'operation', budget);
    expect(store.size).toBeLessThanOrEqual(2);
    expect((await store.consume('key:a', 'operation', budget)).remaining).toBe(2);
  });

  it('holds no more than its maximum after 200,000 distinct identities, forgetting the oldest first', async () => {
    const store = createMemoryStore({ maxIdentities: 1000 });
    for (let i = 0; i < 200_000; i++) await store.consume(`ip:10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 'operation', budget);
    expect(store.size).toBe(1000);
    // The most recent caller is still counted; the first one was forgotten and starts afresh.
    expect((await store.consume('ip:10.3.13.63', 'operation', budget)).remaining).toBe(1);
    expect((await store.consume('ip:10.0.0.0', 'operation', budget)).remaining).toBe(2);
  });

  it('refuses a maximum that is not a whole number of at least 1', () => {
    expect(() => createMemoryStore({ maxIdentities: 0 })).toThrow(/maxIdentities/);
  });
});
