import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDirectoryService, membersRateLimit, membersRateWindowMs } from '../../src/demo/directory.js';
import { demoKeys, startDemoService, type DemoService } from '../../src/demo/index.js';
import { serveDemo } from '../../src/demo/serve.js';
import { call } from './demo-client.js';

describe('directory demo service', () => {
  let service: DemoService;
  beforeAll(async () => {
    service = await startDemoService('directory');
  });
  afterAll(async () => {
    await service.close();
  });

  it.each([
    ['u-1', 'Ada Lovelace', 'ada@example.com'],
    ['u-2', 'Grace Hopper', 'grace@example.com'],
    ['u-3', 'Alan Turing', 'alan@example.com'],
  ])('returns user %s and their email', async (id, name, email) => {
    const user = await call(service, 'GET', `/api/v1/users/${id}`);
    expect(user.status).toBe(200);
    expect(user.headers.get('content-type')).toBe('application/json');
    expect(user.body).toEqual({ id, name });
    const address = await call(service, 'GET', `/api/v1/users/${id}/email`);
    expect(address.body).toEqual({ email });
  });

  it('returns the members of o-1', async () => {
    const { status, body } = await call(service, 'GET', '/api/v1/orgs/o-1/members', { key: demoKeys.reader });
    expect(status).toBe(200);
    expect(body).toHaveLength(3);
    for (const member of body) expect(member).toEqual({ id: expect.any(String), name: expect.any(String), role: expect.any(String) });
  });

  it.each([
    ['an unknown user', '/api/v1/users/u-9', 404, { code: 'not_found', message: 'User u-9 not found' }],
    ['the email of an unknown user', '/api/v1/users/u-9/email', 404, { code: 'not_found', message: 'User u-9 not found' }],
    ['the broken user', '/api/v1/users/u-broken', 500, { code: 'query_failed', message: 'relation users: SELECT failed at db-7.internal:5432' }],
    ['a locked organisation', '/api/v1/orgs/o-locked/members', 403, { code: 'forbidden', message: expect.any(String) }],
    ['an unknown organisation', '/api/v1/orgs/o-404/members', 404, { code: 'not_found', message: expect.any(String) }],
    ['an unknown route', '/api/v2/users/u-1', 404, { code: 'not_found', message: expect.any(String) }],
  ])('answers %s in the nested dialect', async (_name, path, status, error) => {
    const response = await call(service, 'GET', path);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.body).toEqual({ error });
  });

  it('answers a write with 405 method_not_allowed', async () => {
    const response = await call(service, 'POST', '/api/v1/users/u-1', { body: {} });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
    expect(response.body.error.code).toBe('method_not_allowed');
  });

  it.each([
    ['no key', null],
    ['an expired key', demoKeys.expired],
    ['garbage', 'x'],
  ])('answers %s with invalid_api_key 401', async (_name, key) => {
    const response = await call(service, 'GET', '/api/v1/users/u-1', { key });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('invalid_api_key');
  });

  it('refuses the email to the read-only key with insufficient_scope and the required scope', async () => {
    for (const id of ['u-1', 'u-9']) {
      const response = await call(service, 'GET', `/api/v1/users/${id}/email`, { key: demoKeys.reader });
      expect(response.status).toBe(403);
      expect(response.body).toEqual({ error: { code: 'insufficient_scope', message: expect.any(String), requiredScope: 'users:email' } });
    }
    expect((await call(service, 'GET', '/api/v1/users/u-1', { key: demoKeys.reader })).status).toBe(200);
  });
});

describe('directory members rate limit', () => {
  it(`answers call ${membersRateLimit + 1} of one key within a minute with rate_limited and Retry-After`, async () => {
    const service = await startDemoService('directory');
    try {
      for (let i = 0; i < membersRateLimit; i += 1) {
        expect((await call(service, 'GET', '/api/v1/orgs/o-1/members')).status).toBe(200);
      }
      const limited = await call(service, 'GET', '/api/v1/orgs/o-1/members');
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((await call(service, 'GET', '/api/v1/orgs/o-1/members', { key: demoKeys.reader })).status).toBe(200);
      expect((await call(service, 'GET', '/api/v1/users/u-1')).status).toBe(200);
    } finally {
      await service.close();
    }
  });

  it('opens a new window once the minute has passed', async () => {
    let now = 1_000_000;
    const server = await serveDemo(createDirectoryService(() => now));
    try {
      for (let i = 0; i < membersRateLimit; i += 1) await call(server, 'GET', '/api/v1/orgs/o-1/members');
      now += 45_000;
      const limited = await call(server, 'GET', '/api/v1/orgs/o-1/members');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('15');
      now += membersRateWindowMs;
      expect((await call(server, 'GET', '/api/v1/orgs/o-1/members')).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
