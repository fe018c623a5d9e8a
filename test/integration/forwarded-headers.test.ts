/**
 * Which headers cross the gateway: only the allowlist goes to upstreams (never the caller's
 * Host, cookies, X-Forwarded-*, hop-by-hop headers or anything named in Connection), and no
 * upstream response header (Set-Cookie, Server, X-Powered-By...) reaches the caller.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { json, startTestServer, type TestServer } from '../support/http-server.js';
import { assertNoLeaks } from '../support/leak-scan.js';
import { send } from '../support/raw-http.js';

let gateway: TestGateway;
let projects: TestServer;
beforeAll(async () => {
  projects = await startTestServer((_request, response) =>
    json(response, 200, { id: 'p-1', name: 'Atlas' }, {
      'set-cookie': 'upstream_session=secret; HttpOnly',
      server: 'nginx/1.25.3 (db-1.internal)',
      'x-powered-by': 'Express',
      'x-internal-host': '10.0.0.12:5432',
    }),
  );
  gateway = await startTestGateway({ PROJECTS_URL: projects.url });
});
afterAll(async () => {
  await gateway.stop(0);
  await projects.close();
});

const query = JSON.stringify({ query: '{ project(id: "p-1") { name } }' });
const base = { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: 'Bearer demo-admin' };

describe('headers at the edge', () => {
  it('forwards only the allowlist to upstreams', async () => {
    const reply = await send(gateway.url, {
      headers: {
        ...base,
        host: 'evil.example',
        cookie: 'session=caller-secret',
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'http',
        forwarded: 'for=6.6.6.6',
        'x-real-ip': '6.6.6.6',
        'proxy-authorization': 'Basic c2VjcmV0',
        te: 'trailers',
        'x-secret': 'internal',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        'accept-language': 'fr',
        'idempotency-key': 'k-1',
      },
      body: query,
    });
    expect(reply.status).toBe(200);
    const sent = projects.requests.at(-1)!.headers;
    expect(sent['host']).toBe(new URL(projects.url).host);
    expect(sent['authorization']).toBe('Bearer demo-admin');
    expect(sent['traceparent']).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(sent['accept-language']).toBe('fr');
    expect(sent['x-request-id']).toBe(reply.headers.get('x-request-id'));
    for (const name of ['cookie', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'forwarded', 'x-real-ip', 'proxy-authorization', 'te', 'x-secret']) {
      expect(sent, name).not.toHaveProperty(name);
    }
    // Idempotency-Key goes out on writes only.
    expect(sent).not.toHaveProperty('idempotency-key');
  });

  it.each([
    ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', true],
    // A later version may carry more fields; version 00 may not.
    ['01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-more', true],
    ['garbage', false],
    ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-more', false],
    ['00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01', false],
    ['ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', false],
    ['00-00000000000000000000000000000000-b7ad6b7169203331-01', false],
    ['00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01', false],
  ])('forwards traceparent %j only when it is a valid W3C one (%s)', async (traceparent, forwarded) => {
    const reply = await send(gateway.url, { headers: { ...base, traceparent }, body: query });
    expect(reply.status).toBe(200);
    const sent = projects.requests.at(-1)!.headers;
    if (forwarded) expect(sent['traceparent']).toBe(traceparent);
    else expect(sent).not.toHaveProperty('traceparent');
  });

  it('does not forward an allowlisted header the caller named in Connection', async () => {
    await send(gateway.url, { headers: { ...base, connection: 'keep-alive, accept-language, traceparent', 'accept-language': 'fr', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, body: query });
    const sent = projects.requests.at(-1)!.headers;
    expect(sent).not.toHaveProperty('accept-language');
    expect(sent).not.toHaveProperty('traceparent');
    expect(sent['authorization']).toBe('Bearer demo-admin');
  });

  it('neither uses nor forwards an x-request-id the caller named in Connection', async () => {
    const reply = await send(gateway.url, { headers: { ...base, connection: 'keep-alive, X-Request-Id', 'x-request-id': 'hop-id-2' }, body: query });
    expect(reply.status).toBe(200);
    const id = reply.headers.get('x-request-id');
    expect(id).not.toBe('hop-id-2');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(projects.requests.at(-1)!.headers['x-request-id']).toBe(id);
  });

  it('refuses a mutation whose Idempotency-Key is named in Connection, before any call', async () => {
    const calls = projects.requests.length;
    const reply = await send(gateway.url, {
      headers: { ...base, connection: 'idempotency-key', 'idempotency-key': 'key-789' },
      body: JSON.stringify({ query: 'mutation { deleteSession(projectId: "p-1", sessionId: "s-1") }' }),
    });
    const body = JSON.parse(reply.text) as { data?: unknown; errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([expect.objectContaining({ message: expect.stringContaining('Connection'), extensions: expect.objectContaining({ code: 'VALIDATION_ERROR' }) })]);
    expect(projects.requests.length).toBe(calls);
  });

  it('forwards every credential it accepts, a 4 KB bearer token included', async () => {
    // A JWT is often over 1 KB: it was accepted, then silently not forwarded (every header was cut at 1024).
    const jwt = `Bearer ${'a'.repeat(4096 - 'Bearer '.length)}`;
    const reply = await send(gateway.url, { headers: { ...base, authorization: jwt }, body: query });
    expect(reply.status).toBe(200);
    expect(projects.requests.at(-1)!.headers['authorization']).toBe(jwt);
  });

  it('does not forward a header value with characters outside printable ASCII', async () => {
    await send(gateway.url, { headers: { ...base, 'accept-language': 'fr\u00e9' }, body: query });
    expect(projects.requests.at(-1)!.headers).not.toHaveProperty('accept-language');
  });

  it("never relays an upstream's Set-Cookie, Server, X-Powered-By or other headers", async () => {
    const reply = await send(gateway.url, { headers: base, body: query });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ data: { project: { name: 'Atlas' } } });
    for (const name of ['set-cookie', 'server', 'x-powered-by', 'x-internal-host']) expect(reply.headers.has(name), name).toBe(false);
    assertNoLeaks(reply.text, reply.headers);
  });
});
