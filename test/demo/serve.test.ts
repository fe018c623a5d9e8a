import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure } from '../../src/demo/http.js';
import { demoKeys, demoServiceNames, startDemoService, startDemoUpstreams, type DemoService, type DemoServiceName } from '../../src/demo/index.js';
import { problemDialect } from '../../src/demo/dialects.js';
import { route } from '../../src/demo/router.js';
import { maxDemoBodyBytes, maxLoggedBodyChars, maxLoggedRequests, serveDemo } from '../../src/demo/serve.js';
import { call } from './demo-client.js';

// A readable path of each service, and a write route that takes a JSON body.
const probes: Record<DemoServiceName, { read: string; write?: { method: string; path: string } }> = {
  projects: { read: '/api/v1/projects/p-1', write: { method: 'DELETE', path: '/api/v1/projects/p-1/sessions/s-1' } },
  workspaces: { read: '/api/v1/workspaces/w-1', write: { method: 'PATCH', path: '/api/v1/workspaces/w-1/insights/i-1' } },
  directory: { read: '/api/v1/users/u-1' },
  knowledge: { read: '/api/v1/contexts/c-1', write: { method: 'POST', path: '/api/v1/contexts/c-1/facts' } },
};

const contentTypes: Record<DemoServiceName, string> = {
  projects: 'application/problem+json',
  workspaces: 'application/json',
  directory: 'application/json',
  knowledge: 'application/problem+json',
};

// The code of an error body, whichever dialect it is in.
function codeOf(body: any): string {
  return body.error?.code ?? body.code ?? String(body.type).split('/').pop();
}

describe('all demo services', () => {
  let upstreams: Awaited<ReturnType<typeof startDemoUpstreams>>;
  const service = (name: DemoServiceName): DemoService => upstreams.services[name]!;
  beforeAll(async () => {
    upstreams = await startDemoUpstreams();
  });
  afterAll(async () => {
    await upstreams.close();
  });

  it('starts the four services on distinct loopback URLs', () => {
    const urls = demoServiceNames.map((name) => service(name).url);
    for (const url of urls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(new Set(urls).size).toBe(4);
    expect(demoKeys).toEqual({ admin: 'demo-admin', reader: 'demo-reader', expired: 'demo-expired' });
  });

  it.each(demoServiceNames)('%s echoes x-request-id on success and on failure', async (name) => {
    const ok = await call(service(name), 'GET', probes[name].read, { headers: { 'x-request-id': 'trace-123' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toBe('trace-123');
    const denied = await call(service(name), 'GET', probes[name].read, { key: null, headers: { 'x-request-id': 'trace-456' } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('x-request-id')).toBe('trace-456');
    // RFC 9110: a 401 names the scheme it wants.
    expect(denied.headers.get('www-authenticate')).toBe('Bearer');
    expect((await call(service(name), 'GET', probes[name].read)).headers.get('x-request-id')).toBeNull();
  });

  it.each(demoServiceNames)('%s answers HEAD on a GET route without a body', async (name) => {
    const response = await call(service(name), 'HEAD', probes[name].read);
    expect(response.status).toBe(200);
    expect(response.text).toBe('');
  });

  it.each(demoServiceNames)('%s answers an unknown route with 404 in its dialect', async (name) => {
    const response = await call(service(name), 'GET', '/api/v1/unknown/thing');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe(contentTypes[name]);
    expect(codeOf(response.body).toLowerCase().replace('-', '_')).toBe('not_found');
  });

  it.each(demoServiceNames)('%s answers a malformed percent escape with 400 in its dialect', async (name) => {
    const response = await call(service(name), 'GET', '/api/v1/projects/%E0%A4%A');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe(contentTypes[name]);
  });

  it.each(demoServiceNames.filter((name) => probes[name].write))('%s answers a body that is not JSON with 400 in its dialect', async (name) => {
    const { method, path } = probes[name].write!;
    const response = await call(service(name), method, path, { rawBody: '{not json' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe(contentTypes[name]);
    expect(codeOf(response.body).toLowerCase().replace('-', '_')).toBe('bad_request');
  });

  it.each(demoServiceNames)('%s records each request it receives', async (name) => {
    const target = service(name);
    const before = target.requests.length;
    await call(target, 'GET', `${probes[name].read}?probe=1`, { headers: { 'x-request-id': 'counted' } });
    expect(target.requests.length).toBe(before + 1);
    expect(target.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: `${probes[name].read}?probe=1`,
      body: '',
      headers: { 'x-request-id': 'counted', authorization: `Bearer ${demoKeys.admin}` },
    });
  });

  it('records the body of a write', async () => {
    const target = service('knowledge');
    await call(target, 'POST', '/api/v1/contexts/c-1/facts', { body: { text: 'logged' } });
    expect(target.requests.at(-1)).toMatchObject({ method: 'POST', body: '{"text":"logged"}' });
  });

  it('keeps a bounded log: the latest requests, each body cut short', async () => {
    // The log lives as long as a gateway embedding the services; 1 MB bodies from callers
    // without a key once stayed in it for good.
    const target = service('workspaces');
    await call(target, 'POST', '/api/v1/workspaces/w-1/synthesis', { rawBody: 'x'.repeat(100_000) });
    expect(target.requests.at(-1)!.body).toHaveLength(maxLoggedBodyChars);
    for (let i = target.requests.length; i <= maxLoggedRequests; i++) {
      target.requests.push({ method: 'GET', path: '/filler', headers: {}, body: '' });
    }
    await call(target, 'GET', '/api/v1/workspaces/w-1');
    expect(target.requests.length).toBeLessThanOrEqual(maxLoggedRequests);
    expect(target.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/v1/workspaces/w-1' });
  });

  it('answers an over-large body with 413', async () => {
    const response = await call(service('knowledge'), 'POST', '/api/v1/contexts', { rawBody: 'x'.repeat(maxDemoBodyBytes + 1) });
    expect(response.status).toBe(413);
    expect(response.body.status).toBe(413);
  });

  it('survives odd request targets sent over a raw socket', async () => {
    const url = new URL(service('projects').url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.end(`GET ${service('projects').url}/api/v1/projects/p-1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo-admin\r\nConnection: close\r\n\r\n`);
      });
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 200/);
    for (const path of ['//', '/api/v1/projects/..', '/api/v1/projects/%00', '/api/v1/projects/p-1/', '/%', '/api/v1/projects?%zz']) {
      const response = await call(service('projects'), 'GET', path);
      expect(response.status).toBeGreaterThanOrEqual(200);
      expect(response.status).toBeLessThan(500);
    }
  });
});

describe('a service under a path prefix', () => {
  let service: DemoService;
  beforeAll(async () => {
    service = await startDemoService('workspaces', { basePath: 'svc/' });
  });
  afterAll(async () => {
    await service.close();
  });

  it('includes the prefix in its URL and serves routes under it', async () => {
    expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/svc$/);
    const response = await call(service, 'GET', '/api/v1/workspaces/w-1');
    expect(response.status).toBe(200);
    expect(response.body.id).toBe('w-1');
  });

  it('answers a path outside the prefix with 404 in its dialect', async () => {
    const response = await fetch(`${new URL(service.url).origin}/api/v1/workspaces/w-1`, { headers: { authorization: 'Bearer demo-admin' } });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ code: 'NOT_FOUND', message: expect.any(String) });
  });

  it.each(demoServiceNames)('works for %s too', async (name) => {
    const prefixed = await startDemoService(name, { basePath: '/gw/' + name });
    try {
      expect(prefixed.url.endsWith(`/gw/${name}`)).toBe(true);
      expect((await call(prefixed, 'GET', probes[name].read)).status).toBe(200);
    } finally {
      await prefixed.close();
    }
  });
});

describe('serving a definition', () => {
  it('answers a handler that throws with a 500 in the dialect, with a request id in its detail', async () => {
    const server = await serveDemo({
      dialect: problemDialect,
      unauthorized: failure(401, 'unauthorized', 'no'),
      readOnly: failure(403, 'forbidden', 'no'),
      routes: [
        route('GET', '/boom', () => {
          throw new Error('secret stack');
        }),
      ],
    });
    try {
      const response = await call(server, 'GET', '/boom');
      expect(response.status).toBe(500);
      expect(response.body.detail).toMatch(/^Unexpected failure\. Request ID: req_\w+$/);
      expect(response.text).not.toContain('secret');
    } finally {
      await server.close();
    }
  });

  it('closes promptly with an idle keep-alive connection open, and twice without error', async () => {
    const service = await startDemoService('directory');
    await call(service, 'GET', '/api/v1/users/u-1');
    await Promise.all([service.close(), service.close()]);
    await service.close();
    await expect(fetch(`${service.url}/api/v1/users/u-1`)).rejects.toThrow();
  });

  it('starts only the services asked for', async () => {
    const some = await startDemoUpstreams(['directory', 'knowledge']);
    try {
      expect(Object.keys(some.services).sort()).toEqual(['directory', 'knowledge']);
    } finally {
      await some.close();
    }
  });

  it('refuses to start on a port already in use', async () => {
    const first = await startDemoService('projects');
    try {
      const port = Number(new URL(first.url).port);
      await expect(startDemoService('projects', { port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
