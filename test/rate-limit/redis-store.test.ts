import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../src/rate-limit/redis-store.js';
import type { RateLimitStore } from '../../src/rate-limit/store.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

let redis: TestRedis;
const clients: Redis[] = [];
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit()));
  await redis?.stop();
});

function storeWithOwnConnection(keyPrefix: string): RateLimitStore {
  const client = new Redis(redis.url);
  return createRedisStore({ client, keyPrefix });
}

const uniquePrefix = () => `test:${crypto.randomUUID()}:`;

describe('the Redis store', () => {
  it('lets exactly the budget through when two connections consume 300 times at once against 100', async () => {
    const prefix = uniquePrefix();
    const [a, b] = [storeWithOwnConnection(prefix), storeWithOwnConnection(prefix)];
    const budget = { limit: 100, windowMs: 60_000 };
    const decisions = await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? a : b).consume('key:k', 'operation', budget)));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(100);
    expect(decisions.filter((decision) => !decision.allowed).every((decision) => decision.remaining === 0)).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  it('counts down, does not count refused calls, and keeps keys under its prefix with the window as expiry', async () => {
    const prefix = uniquePrefix();
    const store = storeWithOwnConnection(prefix);
    const budget = { limit: 2, windowMs: 30_000 };
    const remaining = [];
    for (let i = 0; i < 4; i++) remaining.push((await store.consume('ip:203.0.113.9', 'field:knowledge', budget)).remaining);
    expect(remaining).toEqual([1, 0, 0, 0]);

    const inspector = new Redis(redis.url);
    clients.push(inspector);
    const keys = await inspector.keys(`${prefix}*`);
    expect(keys).toEqual([`${prefix}field:knowledge:ip:203.0.113.9`]);
    expect(await inspector.get(keys[0]!)).toBe('2');
    const ttl = await inspector.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000);
    await store.close();
  });

  it('answers ping', async () => {
    const store = storeWithOwnConnection(uniquePrefix());
    expect(await store.ping()).toBe(true);
    await store.close();
  });
});
