/**
 * An upstream's own 429, in any dialect, reaches the client as RATE_LIMITED with `retryAfter`
 * (ERRORS.md §3, §6), at the field's path, and a write that got one is never sent again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { errorAt, startTestGateway, type TestGateway } from '../support/gateway.js';
import { json, startTestServer, type TestServer } from '../support/http-server.js';

let gateway: TestGateway | undefined;
let upstream: TestServer | undefined;
afterEach(async () => {
  await gateway?.stop(0);
  await upstream?.close();
  gateway = upstream = undefined;
});

describe('upstream 429s', () => {
  it('maps the demo workspaces 429 (flat coded, retry_after in the body) and knowledge 429 (Problem, Retry-After header)', async () => {
    gateway = await startTestGateway();
    const reply = await gateway.graphql(`mutation { startSynthesis(workspaceId: "w-throttled") { id } }`);
    expect(errorAt(reply, ['startSynthesis']).extensions).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfter: 12, upstream: { service: 'workspaces', status: 429 } });
    const knowledge = await gateway.graphql('{ context(id: "c-budget") { knowledge(query: "x") { id } } }');
    expect(errorAt(knowledge, ['context', 'knowledge']).extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 30, upstream: { service: 'knowledge', status: 429 } });
  });

  it.each([
    ['a nested coded body with retry_after', { error: { code: 'throttled', message: 'Slow down', retry_after: 7 } }, {}, 7],
    ['an OAuth-style body and Retry-After in seconds', { error: 'too_many_requests', error_description: 'Slow down' }, { 'retry-after': '9' }, 9],
    ['an error list and an HTTP-date Retry-After', { errors: [{ code: 'rate_limited', detail: 'Slow down' }] }, { 'retry-after': 'in 120 s' }, 120],
    ['an empty body and no hint', '', {}, 60],
  ])('%s → RATE_LIMITED with retryAfter, a POST sent once', async (_name, body, given, retryAfter) => {
    let headers: Record<string, string> = given;
    upstream = await startTestServer((_request, response) => {
      // The HTTP date is made when the upstream answers, so that its meaning is 120 s from then.
      if (headers['retry-after'] === 'in 120 s') headers = { 'retry-after': new Date(Date.now() + 120_000).toUTCString() };
      if (typeof body === 'string') {
        response.writeHead(429, headers);
        response.end(body);
      } else json(response, 429, body, headers);
    });
    gateway = await startTestGateway({ WORKSPACES_URL: upstream.url });

    const reply = await gateway.graphql('mutation { startSynthesis(workspaceId: "w-1") { id } }');

    expect(reply.status).toBe(200);
    expect(reply.body.data).toEqual({ startSynthesis: null });
    const error = errorAt(reply, ['startSynthesis']);
    expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', status: 429, upstream: { service: 'workspaces', status: 429 } });
    // An HTTP date has whole seconds and is read against the clock: it may lose up to two.
    expect(error.extensions['retryAfter']).toBeGreaterThanOrEqual(retryAfter - 2);
    expect(error.extensions['retryAfter']).toBeLessThanOrEqual(retryAfter);
    expect(upstream.requests).toHaveLength(1);
  });

  it('does not retry a GET that got a 429', async () => {
    upstream = await startTestServer((_request, response) => json(response, 429, { code: 'RATE_LIMITED', message: 'Slow down' }, { 'retry-after': '1' }));
    gateway = await startTestGateway({ WORKSPACES_URL: upstream.url });
    const reply = await gateway.graphql('{ workspace(id: "w-1") { name } }');
    expect(errorAt(reply, ['workspace']).extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 1 });
    expect(upstream.requests).toHaveLength(1);
  });
});
