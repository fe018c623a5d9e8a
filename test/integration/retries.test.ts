/**
 * Retries after ERRORS.md §6, counted on a real loopback upstream: reads are retried on 5xx,
 * writes only with an idempotency key, 4xx never, and `Retry-After` only when it fits the deadline.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { errorAt, expectStillServing } from '../support/gateway.js';
import { json, type RecordedRequest } from '../support/http-server.js';
import { useTestResources } from '../support/resources.js';

const use = useTestResources();

/** A knowledge service that answers with `answers[n]` to its n-th request (the last one after that). */
async function knowledgeAnswering(answers: Array<(request: RecordedRequest, response: ServerResponse) => void>, env: Record<string, string> = {}) {
  let received = 0;
  const upstream = await use.server((request, response) => answers[Math.min(++received, answers.length) - 1]!(request, response));
  const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, ...env });
  return { gateway, upstream };
}

const unavailable = (_request: RecordedRequest, response: ServerResponse) => json(response, 503, { title: 'Unavailable', status: 503 });
const context = (_request: RecordedRequest, response: ServerResponse) => json(response, 200, { id: 'c-1', name: 'Notes' });
const fact = (_request: RecordedRequest, response: ServerResponse) => json(response, 201, { id: 'f-1', text: 'hello' });

describe('retries', () => {
  it('a GET that fails twice with 503 and then succeeds gives data after 3 calls', async () => {
    const { gateway, upstream } = await knowledgeAnswering([unavailable, unavailable, context]);
    const reply = await gateway.graphql('{ context(id: "c-1") { name } }');
    expect(reply.body).toEqual({ data: { context: { name: 'Notes' } } });
    expect(upstream.requests).toHaveLength(3);
    const ids = new Set(upstream.requests.map((request) => request.headers['x-request-id']));
    expect(ids.size).toBe(1);
  });

  it('a GET that keeps failing is tried 3 times in all → SERVICE_UNAVAILABLE', async () => {
    const { gateway, upstream } = await knowledgeAnswering([unavailable]);
    const reply = await gateway.graphql('{ context(id: "c-1") { name } }');
    expect(errorAt(reply, ['context']).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', upstream: { service: 'knowledge', status: 503 } });
    expect(upstream.requests).toHaveLength(3);
  });

  it('a POST that fails with 503 is sent once → SERVICE_UNAVAILABLE', async () => {
    const { gateway, upstream } = await knowledgeAnswering([unavailable, fact]);
    const reply = await gateway.graphql('mutation { rememberFact(contextId: "c-1", text: "hello") { id } }');
    expect(reply.body.data).toEqual({ rememberFact: null });
    expect(errorAt(reply, ['rememberFact']).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.headers['idempotency-key']).toBeUndefined();
  });

  it('the same POST with an idempotency key argument is retried with the same key each time', async () => {
    const { gateway, upstream } = await knowledgeAnswering([unavailable, unavailable, fact]);
    const reply = await gateway.graphql('mutation { rememberFact(contextId: "c-1", text: "hello", idempotencyKey: "k-42") { id } }');
    expect(reply.body).toEqual({ data: { rememberFact: { id: 'f-1' } } });
    expect(upstream.requests.map((request) => request.headers['idempotency-key'])).toEqual(['k-42', 'k-42', 'k-42']);
    expect(upstream.requests.map((request) => request.body)).toEqual(Array(3).fill(JSON.stringify({ text: 'hello' })));
  });

  it("a POST carrying the client's Idempotency-Key header is retried with that key", async () => {
    const { gateway, upstream } = await knowledgeAnswering([unavailable, fact]);
    const reply = await gateway.graphql('mutation { rememberFact(contextId: "c-1", text: "hello") { id } }', { headers: { 'idempotency-key': 'client-7' } });
    expect(reply.body).toEqual({ data: { rememberFact: { id: 'f-1' } } });
    expect(upstream.requests.map((request) => request.headers['idempotency-key'])).toEqual(['client-7', 'client-7']);
  });

  it.each([
    ['a 404', 404, 'NOT_FOUND'],
    ['a 429', 429, 'RATE_LIMITED'],
    ['a 400', 400, 'VALIDATION_ERROR'],
    ['a 501', 501, 'UPSTREAM_ERROR'],
  ])('%s is never retried: 1 call → %s', async (_name, status, code) => {
    const { gateway, upstream } = await knowledgeAnswering([(_request, response) => json(response, status, { status, title: 'No' })]);
    const reply = await gateway.graphql('{ context(id: "c-1") { name } }');
    expect(errorAt(reply, ['context']).extensions['code']).toBe(code);
    expect(upstream.requests).toHaveLength(1);
  });

  it('a 503 with a Retry-After that fits in the deadline is retried after it', async () => {
    const { gateway, upstream } = await knowledgeAnswering([(_request, response) => json(response, 503, { status: 503 }, { 'retry-after': '1' }), context], { REQUEST_DEADLINE_MS: '10000' });
    const reply = await gateway.graphql('{ context(id: "c-1") { name } }');
    expect(reply.body).toEqual({ data: { context: { name: 'Notes' } } });
    expect(upstream.requests).toHaveLength(2);
  });

  it('a 503 with Retry-After: 0 is retried after the usual backoff, not at once', async () => {
    const sentAt: number[] = [];
    const unavailable = (_request: unknown, response: Parameters<typeof json>[0]) => {
      sentAt.push(performance.now());
      json(response, 503, { status: 503 }, { 'retry-after': '0' });
    };
    const { gateway, upstream } = await knowledgeAnswering([unavailable, unavailable, unavailable], { REQUEST_DEADLINE_MS: '10000' });
    const reply = await gateway.graphql('{ context(id: "c-1") { name } }');
    expect(errorAt(reply, ['context']).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(upstream.requests).toHaveLength(3);
    // About 250 ms then 500 ms (±20 %): back to back, they came 2-10 ms apart.
    expect(sentAt[1]! - sentAt[0]!).toBeGreaterThanOrEqual(190);
    expect(sentAt[2]! - sentAt[1]!).toBeGreaterThanOrEqual(390);
  });

  it('a 503 with a Retry-After beyond the deadline is not retried and passes retryAfter on', async () => {
    const { gateway, upstream } = await knowledgeAnswering([(_request, response) => json(response, 503, { status: 503 }, { 'retry-after': '120' }), context], { REQUEST_DEADLINE_MS: '5000' });
    const reply = await gateway.graphql('{ context(id: "c-1") { name } }');
    expect(errorAt(reply, ['context']).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: 120 });
    expect(upstream.requests).toHaveLength(1);
    await expectStillServing(gateway!);
  });
});
