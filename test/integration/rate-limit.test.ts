/**
 * Rate limiting over real HTTP (in-memory store): the operation budget, the RateLimit headers,
 * and field limits that keep partial data.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, errorAt, type TestGateway } from '../support/gateway.js';

let gateway: TestGateway | undefined;
afterEach(async () => {
  await gateway?.stop(0);
  gateway = undefined;
});

const upstreamCalls = (running: TestGateway) => Object.values(running.demo!.services).reduce((sum, service) => sum + service!.requests.length, 0);

describe('operation budget', () => {
  it('refuses the operation over budget with 429, Retry-After in seconds and one RATE_LIMITED error, without executing it', async () => {
    gateway = await startTestGateway({ RATE_LIMIT_OPERATIONS: '2/1h' });
    for (let i = 0; i < 2; i++) expect((await gateway.graphql('{ project(id: "p-1") { name } }')).status).toBe(200);
    const callsBefore = upstreamCalls(gateway);

    const refused = await gateway.graphql('{ project(id: "p-1") { name } }');

    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors).toEqual([
      {
        message: expect.stringContaining('retry in'),
        extensions: { code: 'RATE_LIMITED', status: 429, retryAfter, details: { limit: 2 }, requestId: refused.headers.get('x-request-id') },
      },
    ]);
    expect(upstreamCalls(gateway)).toBe(callsBefore);
  });

  it('answers 429 under application/json too', async () => {
    gateway = await startTestGateway({ RATE_LIMIT_OPERATIONS: '1/1m' });
    await gateway.graphql('{ project(id: "p-1") { name } }');
    const refused = await gateway.graphql('{ project(id: "p-1") { name } }', { headers: { accept: 'application/json' } });
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions.code).toBe('RATE_LIMITED');
  });

  it('refuses a batch over budget as a whole with 429 and Retry-After; a batch partly within it is a 200', async () => {
    gateway = await startTestGateway({ RATE_LIMIT_OPERATIONS: '3/1h', BATCH_LIMIT: '5' });
    const batch = async (size: number) => {
      const response = await fetch(`${gateway!.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: 'Bearer demo-admin' },
        body: JSON.stringify(Array.from({ length: size }, () => ({ query: '{ project(id: "p-1") { name } }' }))),
      });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Array<{ data?: unknown; errors?: Array<{ extensions: Record<string, unknown> }> }> };
    };
    const partly = await batch(4);
    expect(partly.status).toBe(200);
    expect(partly.retryAfter).toBeNull();
    expect(partly.body.filter((item) => item.data !== undefined)).toHaveLength(3);
    expect(partly.body.filter((item) => item.errors?.[0]?.extensions['code'] === 'RATE_LIMITED')).toHaveLength(1);
    const callsBefore = upstreamCalls(gateway);

    for (const size of [2, 1]) {
      const refused = await batch(size);
      expect(refused.status).toBe(429);
      expect(Number(refused.retryAfter)).toBeGreaterThan(3500);
      expect(refused.body).toHaveLength(size);
      for (const item of refused.body) {
        expect(item.data).toBeUndefined();
        expect(item.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED', retryAfter: Number(refused.retryAfter) }) })]);
      }
    }
    expect(upstreamCalls(gateway)).toBe(callsBefore);
  });

  it('counts no batch entry that is no operation (null): it costs the budget nothing', async () => {
    gateway = await startTestGateway({ RATE_LIMIT_OPERATIONS: '2/1h', BATCH_LIMIT: '2' });
    const post = (body: string) =>
      fetch(`${gateway!.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' }, body });
    const nulls = await post('[null,null]');
    expect(nulls.status).toBe(200);
    expect(((await nulls.json()) as Array<{ errors: Array<{ extensions: { code: string } }> }>).map((item) => item.errors[0]!.extensions.code)).toEqual(['VALIDATION_ERROR', 'VALIDATION_ERROR']);
    // Both operations of the budget are still there.
    for (const remaining of ['1', '0']) {
      const allowed = await post('{"query":"{ __typename }"}');
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('ratelimit-remaining')).toBe(remaining);
    }
  });

  it('counts RateLimit-Remaining down on every response and keeps RateLimit-Limit and RateLimit-Reset', async () => {
    gateway = await startTestGateway({ RATE_LIMIT_OPERATIONS: '3/1m' });
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await gateway.graphql('{ project(id: "p-1") { name } }'));
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 429]);
    expect(replies.map((reply) => reply.headers.get('ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
    for (const reply of replies) {
      expect(reply.headers.get('ratelimit-limit')).toBe('3');
      expect(Number(reply.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
      expect(Number(reply.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(60);
    }
  });

  it('lets browsers of an allowed origin read the RateLimit headers (CORS)', async () => {
    gateway = await startTestGateway({ RATE_LIMIT_OPERATIONS: '3/1m', CORS_ORIGINS: 'https://app.example' });
    const reply = await gateway.graphql('{ project(id: "p-1") { name } }', { headers: { origin: 'https://app.example' } });
    const exposed = (reply.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after']));
  });

  it('gives each bearer key its own budget', async () => {
    gateway = await startTestGateway({ RATE_LIMIT_OPERATIONS: '1/1m' });
    expect((await gateway.graphql('{ project(id: "p-1") { name } }')).status).toBe(200);
    expect((await gateway.graphql('{ project(id: "p-1") { name } }')).status).toBe(429);
    expect((await gateway.graphql('{ project(id: "p-1") { name } }', { authorization: 'Bearer demo-reader' })).status).toBe(200);
  });

  it('limits callers without a key by their address, ignoring a client-sent X-Forwarded-For', async () => {
    gateway = await startTestGateway({ RATE_LIMIT_OPERATIONS: '1/1m', REQUIRE_AUTH: 'false' });
    const anonymous = (forwardedFor: string) => gateway!.graphql('{ project(id: "p-1") { name } }', { authorization: null, headers: { 'x-forwarded-for': forwardedFor } });
    expect((await anonymous('203.0.113.1')).status).toBe(200);
    expect((await anonymous('203.0.113.2')).status).toBe(429);
  });

  it('reads X-Forwarded-For when RATE_LIMIT_TRUSTED_PROXIES says a proxy appends to it', async () => {
    gateway = await startTestGateway({ RATE_LIMIT_OPERATIONS: '1/1m', REQUIRE_AUTH: 'false', RATE_LIMIT_TRUSTED_PROXIES: '1' });
    const anonymous = (forwardedFor: string) => gateway!.graphql('{ project(id: "p-1") { name } }', { authorization: null, headers: { 'x-forwarded-for': forwardedFor } });
    expect((await anonymous('203.0.113.1')).status).toBe(200);
    expect((await anonymous('203.0.113.2')).status).toBe(200);
    expect((await anonymous('198.51.100.7, 203.0.113.2')).status).toBe(429);
  });
});

describe('field limits', () => {
  it('nulls startSynthesis over its limit with RATE_LIMITED at its path, while the other fields keep their data', async () => {
    gateway = await startTestGateway({ RATE_LIMIT_START_SYNTHESIS: '3/1m' });
    const reply = await gateway.graphql(`mutation {
      a: startSynthesis(workspaceId: "w-1") { id }
      b: startSynthesis(workspaceId: "w-1") { id }
      c: startSynthesis(workspaceId: "w-1") { id }
      d: startSynthesis(workspaceId: "w-1") { id }
      fact: rememberFact(contextId: "c-1", text: "still runs") { text }
    }`);

    expect(reply.status).toBe(200);
    expect(reply.body.data).toMatchObject({ a: { id: expect.any(String) }, b: { id: expect.any(String) }, c: { id: expect.any(String) }, d: null, fact: { text: 'still runs' } });
    expect(reply.body.errors).toHaveLength(1);
    const error = errorAt(reply, ['d']);
    expect(error.extensions).toEqual({ code: 'RATE_LIMITED', status: 429, retryAfter: expect.any(Number), details: { limit: 3 }, requestId: reply.headers.get('x-request-id') });
    expect(error.extensions['retryAfter']).toBeGreaterThan(0);
    expect(error.extensions['retryAfter']).toBeLessThanOrEqual(60);
    const synthesisCalls = gateway.demo!.services.workspaces!.requests.filter((request) => request.method === 'POST');
    expect(synthesisCalls).toHaveLength(3);
  });

  it('limits knowledge per caller and still returns the context around it', async () => {
    gateway = await startTestGateway({ RATE_LIMIT_KNOWLEDGE: '1/1m' });
    const query = '{ context(id: "c-1") { name knowledge(query: "graph") { id } } project(id: "p-1") { name } }';
    const first = await gateway.graphql(query);
    expect(first.body.errors).toBeUndefined();
    const second = await gateway.graphql(query);
    expect(second.status).toBe(200);
    expect(second.body.data).toEqual({ context: { name: expect.any(String), knowledge: null }, project: { name: 'Atlas' } });
    expect(errorAt(second, ['context', 'knowledge']).extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number), details: { limit: 1 } });
    const other = await gateway.graphql(query, { authorization: 'Bearer demo-reader' });
    expect(other.body.data?.['context']?.knowledge).not.toBeNull();
  });
});
