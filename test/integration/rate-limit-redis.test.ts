/**
 * Several instances on one Redis: one budget, enforced exactly; and what the gateway does when
 * Redis goes away (fail open by default, fail closed when configured).
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

let redis: TestRedis | undefined;
let gateways: TestGateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.map((gateway) => gateway.stop(0)));
  await redis?.stop();
  gateways = [];
  redis = undefined;
});

async function startSharing(env: Record<string, string>): Promise<TestGateway> {
  const gateway = await startTestGateway({ REDIS_URL: redis!.url, ...env });
  gateways.push(gateway);
  await untilReady(gateway);
  return gateway;
}

/** Polls `/ready` (at most 10 s) until Redis is reported reachable, as a load balancer would. */
async function untilReady(gateway: TestGateway): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const report = (await (await fetch(`${gateway.url}/ready`)).json()) as { checks: Record<string, { ok: boolean }> };
    if (report.checks['redis']?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the gateway never reported Redis ready');
}

const query = '{ project(id: "p-1") { name } }';

describe('rate limiting across instances through Redis', () => {
  it('counts from the first request after the start, without waiting for /ready', async () => {
    // A rolling deploy: the first requests reach an instance as soon as it listens.
    redis = await startTestRedis();
    const gateway = await startTestGateway({ REDIS_URL: redis.url, RATE_LIMIT_OPERATIONS: '2/1m', RATE_LIMIT_STORE_FAILURE: 'closed' });
    gateways.push(gateway);
    const statuses: Array<[number, string | null]> = [];
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer redis-start' }, body: JSON.stringify({ query: '{ __typename }' }) });
      statuses.push([response.status, response.headers.get('ratelimit-remaining')]);
    }
    expect(statuses).toEqual([[200, '1'], [200, '0'], [429, '0']]);
  });

  it('keeps its counters in the database its URL names, and will not start on one the server lacks', async () => {
    redis = await startTestRedis();
    const gateway = await startTestGateway({ REDIS_URL: `${redis.url}/1`, RATE_LIMIT_KEY_PREFIX: 'dbtest:', RATE_LIMIT_OPERATIONS: '10/1m' });
    gateways.push(gateway);
    expect((await gateway.graphql('{ __typename }')).status).toBe(200);
    const inspect = new Redis(redis.url);
    try {
      expect(await inspect.keys('dbtest:*')).toEqual([]);
      await inspect.select(1);
      expect((await inspect.keys('dbtest:*')).length).toBeGreaterThan(0);
    } finally {
      inspect.disconnect();
    }
    // The server has 16: ioredis went on in database 0 after the failed SELECT, counting there.
    await expect(startTestGateway({ REDIS_URL: `${redis.url}/99` })).rejects.toThrow(/^REDIS_URL is invalid: the Redis server has no database 99$/);
  });

  it('lets exactly 100 of 300 concurrent operations from one key through two instances', async () => {
    redis = await startTestRedis();
    const env = { RATE_LIMIT_OPERATIONS: '100/1h', RATE_LIMIT_KEY_PREFIX: `test:${crypto.randomUUID()}:` };
    const [a, b] = [await startSharing(env), await startSharing(env)];

    const replies = await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? a : b).graphql(query)));

    const statuses = replies.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(100);
    expect(statuses.filter((status) => status === 429)).toHaveLength(200);
    for (const reply of replies.filter((r) => r.status === 429)) expect(reply.body.errors?.[0]?.extensions.code).toBe('RATE_LIMITED');
    const remaining = replies.filter((r) => r.status === 200).map((reply) => Number(reply.headers.get('ratelimit-remaining')));
    expect(new Set(remaining).size).toBe(100);
  });

  it('keeps serving, unlimited and with a warning, when Redis stops (fail open, the default); /ready reports Redis', async () => {
    redis = await startTestRedis();
    const gateway = await startSharing({ RATE_LIMIT_OPERATIONS: '100/1h', RATE_LIMIT_KEY_PREFIX: `test:${crypto.randomUUID()}:` });
    expect((await gateway.graphql(query)).headers.get('ratelimit-remaining')).toBe('99');

    await redis.stop();
    redis = undefined;

    const reply = await gateway.graphql(query);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ data: { project: { name: 'Atlas' } } });
    expect(reply.headers.get('ratelimit-remaining')).toBeNull();
    expect(gateway.logger.entries.some((entry) => entry.level === 'warn' && entry.message.includes('rate-limit store failed'))).toBe(true);
    const ready = await fetch(`${gateway.url}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, { ok: boolean }> }).checks['redis']).toEqual({ ok: false });
  });

  it('keeps serving when Redis is slower than REDIS_TIMEOUT_MS (fail open)', async () => {
    redis = await startTestRedis();
    const gateway = await startSharing({ RATE_LIMIT_OPERATIONS: '100/1h', REDIS_TIMEOUT_MS: '200', RATE_LIMIT_KEY_PREFIX: `test:${crypto.randomUUID()}:` });
    redis.freeze();

    const reply = await gateway.graphql(query);

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ data: { project: { name: 'Atlas' } } });
    const warning = gateway.logger.entries.find((entry) => entry.level === 'warn' && entry.message.includes('rate-limit store failed'));
    expect(warning?.fields).toMatchObject({ store: 'redis', failureMode: 'open', err: { message: expect.stringMatching(/timed out/i) } });
  });

  it('leaves a hung Redis alone after one timeout, so that the commands it wakes up to are few', async () => {
    // Six limited mutations in a row: each waited out REDIS_TIMEOUT_MS, and each command, left
    // queued on the hung connection, was counted against the caller once Redis woke up.
    redis = await startTestRedis();
    const prefix = `test:${crypto.randomUUID()}:`;
    const gateway = await startSharing({ RATE_LIMIT_OPERATIONS: 'off', RATE_LIMIT_START_SYNTHESIS: '100/1m', REDIS_TIMEOUT_MS: '200', RATE_LIMIT_KEY_PREFIX: prefix });
    redis.freeze();
    const six = Array.from({ length: 6 }, (_, i) => `s${i}: startSynthesis(workspaceId: "w-1") { id }`).join(' ');
    const reply = await gateway.graphql(`mutation { ${six} }`);
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body.data!)).toHaveLength(6);
    redis.thaw();

    const inspector = new Redis(redis.url);
    try {
      let counted = 0;
      for (let attempt = 0; attempt < 20; attempt++) {
        const keys = await inspector.keys(`${prefix}*`);
        counted = (await Promise.all(keys.map((key) => inspector.get(key)))).reduce((sum, value) => sum + Number(value ?? 0), 0);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(counted).toBe(1);
    } finally {
      inspector.disconnect();
    }
  });

  it('nulls a limited field with SERVICE_UNAVAILABLE, keeping the rest, when Redis stops and RATE_LIMIT_STORE_FAILURE=closed', async () => {
    redis = await startTestRedis();
    const gateway = await startSharing({ RATE_LIMIT_KNOWLEDGE: '30/1m', RATE_LIMIT_STORE_FAILURE: 'closed', RATE_LIMIT_KEY_PREFIX: `test:${crypto.randomUUID()}:` });
    await redis.stop();
    redis = undefined;

    const reply = await gateway.graphql('{ context(id: "c-1") { name knowledge(query: "graph") { id } } }');

    expect(reply.status).toBe(200);
    expect(reply.body.data).toEqual({ context: { name: expect.any(String), knowledge: null } });
    expect(reply.body.errors).toEqual([
      expect.objectContaining({ path: ['context', 'knowledge'], extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', status: 503 }) }),
    ]);
  });

  it('refuses with 503 SERVICE_UNAVAILABLE and Retry-After when Redis stops and RATE_LIMIT_STORE_FAILURE=closed', async () => {
    redis = await startTestRedis();
    const gateway = await startSharing({
      RATE_LIMIT_OPERATIONS: '100/1h',
      RATE_LIMIT_STORE_FAILURE: 'closed',
      RATE_LIMIT_KEY_PREFIX: `test:${crypto.randomUUID()}:`,
    });
    expect((await gateway.graphql(query)).status).toBe(200);

    await redis.stop();
    redis = undefined;

    const reply = await gateway.graphql(query);
    expect(reply.status).toBe(503);
    expect(reply.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(reply.body.data).toBeUndefined();
    expect(reply.body.errors).toEqual([
      { message: expect.any(String), extensions: { code: 'SERVICE_UNAVAILABLE', status: 503, retryAfter: expect.any(Number), requestId: reply.headers.get('x-request-id') } },
    ]);
  });
});
