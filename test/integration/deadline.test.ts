/**
 * The request deadline and the caller leaving, checked from the upstream's side: the answer
 * comes by the deadline with the other fields' data, and abandoned upstream sockets are closed.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { handleEdgeRequest } from '../../src/edge.js';
import { errorAt, expectStillServing, postLeavable } from '../support/gateway.js';
import { json, waitUntil } from '../support/http-server.js';
import { send } from '../support/raw-http.js';
import { useTestResources } from '../support/resources.js';

const use = useTestResources();

const both = '{ context(id: "c-1") { name } project(id: "p-1") { name } }';

describe('request deadline', () => {
  it('runs from the request\'s arrival: a slow body spends it', async () => {
    // The upstream takes 800 ms; the body arrives 1,700 ms into a 2,000 ms deadline.
    const upstream = await use.server((_request, response) => void setTimeout(() => json(response, 200, { id: 'c-1', name: 'Notes' }), 800));
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, REQUEST_DEADLINE_MS: '2000' });
    const reply = await send(gateway.url, {
      headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' },
      body: JSON.stringify({ query: both }),
      slowBody: { firstBytes: 10, restAfterMs: 1700 },
    });
    const answer = JSON.parse(reply.text) as { data: unknown; errors: Array<{ path: string[]; extensions: { code: string } }> };
    expect(reply.status).toBe(200);
    // Timed from when the body arrived, 800 ms would have fitted and `context` had its data.
    expect(answer.data).toEqual({ context: null, project: { name: 'Atlas' } });
    expect(answer.errors).toEqual([expect.objectContaining({ path: ['context'], extensions: expect.objectContaining({ code: 'GATEWAY_TIMEOUT' }) })]);
  });

  it('answers 408 to a body still arriving at the deadline, though it ends before Node would next look', async () => {
    // Node checks its request timeout once a second: a body ending 300 ms past the deadline
    // usually slipped in between and ran with no time left (200, GATEWAY_TIMEOUT at each field).
    const upstream = await use.server((_request, response) => json(response, 200, { id: 'c-1', name: 'Notes' }));
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, REQUEST_DEADLINE_MS: '1000' });
    const reply = await send(gateway.url, {
      headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' },
      body: JSON.stringify({ query: both }),
      slowBody: { firstBytes: 10, restAfterMs: 1300 },
    });
    expect(reply.status).toBe(408);
    expect(JSON.parse(reply.text)).toMatchObject({ errors: [{ message: 'Request timed out.', extensions: { code: 'VALIDATION_ERROR' } }] });
    expect(upstream.requests).toHaveLength(0);
  });

  it('runs from the arrival on the edge handler too: a slow body spends it', async () => {
    const upstream = await use.server((_request, response) => void setTimeout(() => json(response, 200, { id: 'c-1', name: 'Notes' }), 800));
    const projects = await use.server((_request, response) => json(response, 200, { id: 'p-1', name: 'Atlas', ownerId: 'u-1', workspaceId: 'w-1', updatedAt: '2025-01-01T00:00:00Z' }));
    const env = { KNOWLEDGE_URL: upstream.url, PROJECTS_URL: projects.url, WORKSPACES_URL: projects.url, DIRECTORY_URL: projects.url, REQUEST_DEADLINE_MS: '2000', LOG_LEVEL: 'silent' };
    const body = JSON.stringify({ query: both });
    // The body's last part comes 1,700 ms after the handler is called.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body.slice(0, 10)));
        setTimeout(() => {
          controller.enqueue(new TextEncoder().encode(body.slice(10)));
          controller.close();
        }, 1700);
      },
    });
    const request = new Request('http://conflux.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    const answer = (await (await handleEdgeRequest(request, env)).json()) as { data: unknown; errors: Array<{ path: string[]; extensions: { code: string } }> };
    expect(answer.data).toEqual({ context: null, project: { name: 'Atlas' } });
    expect(answer.errors).toEqual([expect.objectContaining({ path: ['context'], extensions: expect.objectContaining({ code: 'GATEWAY_TIMEOUT' }) })]);
  });

  it('an upstream that never answers: the response comes by the deadline with GATEWAY_TIMEOUT there and data elsewhere', async () => {
    const upstream = await use.server(() => undefined);
    // The attempt timeout is far longer than the deadline: only the deadline can end the call.
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '60000', REQUEST_DEADLINE_MS: '1000' });
    const started = Date.now();
    const reply = await gateway.graphql(both);
    const elapsedMs = Date.now() - started;
    expect(reply.status).toBe(200);
    expect(reply.body.data).toEqual({ context: null, project: { name: 'Atlas' } });
    expect(errorAt(reply, ['context']).extensions).toMatchObject({ code: 'GATEWAY_TIMEOUT', status: 504, upstream: { service: 'knowledge' } });
    // A generous margin on a shared machine: the point is that 60 s were not waited.
    expect(elapsedMs).toBeLessThan(1000 + 4000);
    await expectStillServing(gateway);
  });

  it('a never-ending response → GATEWAY_TIMEOUT, and the upstream socket is closed', async () => {
    const sockets: Socket[] = [];
    const upstream = await use.server((_request, response, socket) => {
      sockets.push(socket);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"id": "c-1", ');
    });
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '60000', REQUEST_DEADLINE_MS: '800' });
    const reply = await gateway.graphql(both);
    expect(errorAt(reply, ['context']).extensions['code']).toBe('GATEWAY_TIMEOUT');
    expect(reply.body.data!['project']).toEqual({ name: 'Atlas' });
    expect(sockets.length).toBeGreaterThan(0);
    await waitUntil(() => sockets.every((socket) => socket.destroyed) && upstream.openConnections() === 0, 'the gateway to close the never-ending response');
    await expectStillServing(gateway);
  });

  it('a body that trickles past the deadline → GATEWAY_TIMEOUT', async () => {
    const timers: NodeJS.Timeout[] = [];
    const upstream = await use.server((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"id": "c-1", "name": "');
      // One byte every 50 ms: the connection is never idle, the body never ends in time.
      const timer = setInterval(() => response.write('x'), 50);
      timers.push(timer);
      response.on('close', () => clearInterval(timer));
    });
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '60000', REQUEST_DEADLINE_MS: '800' });
    const reply = await gateway.graphql(both);
    for (const timer of timers) clearInterval(timer);
    expect(errorAt(reply, ['context']).extensions['code']).toBe('GATEWAY_TIMEOUT');
    expect(reply.body.data!['project']).toEqual({ name: 'Atlas' });
    await waitUntil(() => upstream.openConnections() === 0, 'the trickling connection to be closed');
    await expectStillServing(gateway);
  });

  it('an attempt over UPSTREAM_TIMEOUT_MS times out and a GET is tried again within the deadline', async () => {
    const upstream = await use.server(() => undefined);
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '150', REQUEST_DEADLINE_MS: '20000' });
    const reply = await gateway.graphql(both);
    expect(errorAt(reply, ['context']).extensions['code']).toBe('GATEWAY_TIMEOUT');
    expect(upstream.requests).toHaveLength(3);
  });
});

describe('the caller going away', () => {
  it("aborts the request's upstream calls: the upstream sees its socket closed, and the gateway keeps serving", async () => {
    const sockets: Socket[] = [];
    const upstream = await use.server((_request, _response, socket) => {
      sockets.push(socket);
    });
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '60000', REQUEST_DEADLINE_MS: '60000' });
    const { leaving, reply: pending } = postLeavable(gateway.url, '{ a: context(id: "c-1") { name } b: context(id: "c-2") { name } }');
    await waitUntil(() => sockets.length === 2, 'both upstream calls to arrive');
    leaving.abort();
    expect(await pending).toMatchObject({ name: 'AbortError' });
    await waitUntil(() => sockets.every((socket) => socket.destroyed), 'the upstream sockets to be closed after the caller left');
    expect(upstream.requests).toHaveLength(2);
    await expectStillServing(gateway);
  });
});
