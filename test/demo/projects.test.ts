import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeys, startDemoService, type DemoService } from '../../src/demo/index.js';
import { call, problemType } from './demo-client.js';

describe('projects demo service', () => {
  let service: DemoService;
  beforeAll(async () => {
    service = await startDemoService('projects');
  });
  afterAll(async () => {
    await service.close();
  });

  it('lists p-1 to p-5 with their owners and workspaces', async () => {
    const { status, headers, body } = await call(service, 'GET', '/api/v1/projects');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json');
    expect(body.map((p: { id: string; name: string; ownerId: string; workspaceId: string }) => [p.id, p.name, p.ownerId, p.workspaceId])).toEqual([
      ['p-1', 'Atlas', 'u-1', 'w-1'],
      ['p-2', 'Borealis', 'u-2', 'w-2'],
      ['p-3', 'Cygnus', 'u-9', 'w-1'],
      ['p-4', 'Draco', 'u-1', 'w-locked'],
      ['p-5', 'Eridanus', 'u-2', 'w-2'],
    ]);
    for (const project of body) expect(typeof project.updatedAt).toBe('string');
  });

  it('returns one project with a strong ETag and answers 304 to a matching If-None-Match', async () => {
    const first = await call(service, 'GET', '/api/v1/projects/p-1');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: 'p-1', name: 'Atlas', ownerId: 'u-1', workspaceId: 'w-1' });
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);

    const again = await call(service, 'GET', '/api/v1/projects/p-1', { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);

    const weak = await call(service, 'GET', '/api/v1/projects/p-1', { headers: { 'if-none-match': `"other", W/${etag}` } });
    expect(weak.status).toBe(304);

    const stale = await call(service, 'GET', '/api/v1/projects/p-1', { headers: { 'if-none-match': '"stale"' } });
    expect(stale.status).toBe(200);
    expect(stale.body.id).toBe('p-1');
  });

  it('gives different projects different ETags', async () => {
    const one = await call(service, 'GET', '/api/v1/projects/p-1');
    const two = await call(service, 'GET', '/api/v1/projects/p-2');
    expect(one.headers.get('etag')).not.toBe(two.headers.get('etag'));
  });

  it('lists sessions s-1, s-2, s-3 of p-1', async () => {
    const { status, body } = await call(service, 'GET', '/api/v1/projects/p-1/sessions');
    expect(status).toBe(200);
    expect(body.map((s: { id: string }) => s.id)).toEqual(['s-1', 's-2', 's-3']);
    for (const session of body) expect(session).toEqual({ id: expect.any(String), projectId: 'p-1', title: expect.any(String), createdAt: expect.any(String) });
  });

  it('numbers sessions uniquely across projects', async () => {
    const ids: string[] = [];
    for (const id of ['p-1', 'p-2', 'p-3', 'p-4']) {
      const { body } = await call(service, 'GET', `/api/v1/projects/${id}/sessions`);
      expect(body.length).toBeGreaterThanOrEqual(2);
      ids.push(...body.map((s: { id: string }) => s.id));
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each([
    ['an unknown project', 'GET', '/api/v1/projects/p-404', 404, 'not-found', 'Project p-404 not found'],
    ['sessions of an unknown project', 'GET', '/api/v1/projects/p-404/sessions', 404, 'not-found', 'Project p-404 not found'],
    ['the archived project', 'GET', '/api/v1/projects/p-archived', 410, 'gone', undefined],
    ['deleting in an unknown project', 'DELETE', '/api/v1/projects/p-404/sessions/s-1', 404, 'not-found', undefined],
    ['deleting a session of another project', 'DELETE', '/api/v1/projects/p-2/sessions/s-1', 404, 'not-found', undefined],
    ['an unknown route', 'GET', '/api/v1/nothing', 404, 'not-found', undefined],
    ['a wrong method', 'PUT', '/api/v1/projects/p-1', 405, 'method-not-allowed', undefined],
  ])('answers %s with a %i Problem', async (_name, method, path, status, slug, detail) => {
    const response = await call(service, method, path);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body).toEqual({ type: problemType(slug), title: expect.any(String), status, detail: expect.any(String), instance: path });
    if (detail) expect(response.body.detail).toBe(detail);
  });

  it('fails the p-5 sessions call with a 500 Problem whose detail carries a request id', async () => {
    const { status, headers, body } = await call(service, 'GET', '/api/v1/projects/p-5/sessions');
    expect(status).toBe(500);
    expect(headers.get('content-type')).toBe('application/problem+json');
    expect(body).toMatchObject({ type: problemType('internal-error'), title: 'Internal Server Error', status: 500 });
    expect(body.detail).toMatch(/^Unexpected failure\. Request ID: req_[0-9a-f]+$/);
  });

  it.each([
    ['no key', null],
    ['an expired key', demoKeys.expired],
    ['an unknown key', 'nope'],
  ])('answers %s with a 401 Problem', async (_name, key) => {
    const { status, headers, body } = await call(service, 'GET', '/api/v1/projects', { key });
    expect(status).toBe(401);
    expect(headers.get('content-type')).toBe('application/problem+json');
    expect(body).toMatchObject({ type: problemType('unauthorized'), status: 401, instance: '/api/v1/projects' });
  });

  it('lets the read-only key read but not delete', async () => {
    expect((await call(service, 'GET', '/api/v1/projects/p-2', { key: demoKeys.reader })).status).toBe(200);
    const denied = await call(service, 'DELETE', '/api/v1/projects/p-2/sessions/s-4', { key: demoKeys.reader });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ type: problemType('forbidden'), status: 403 });
    const sessions = await call(service, 'GET', '/api/v1/projects/p-2/sessions', { key: demoKeys.reader });
    expect(sessions.body.map((s: { id: string }) => s.id)).toContain('s-4');
  });

  it('deletes a session with 204 and then no longer finds it', async () => {
    const deleted = await call(service, 'DELETE', '/api/v1/projects/p-4/sessions/s-9');
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    const sessions = await call(service, 'GET', '/api/v1/projects/p-4/sessions');
    expect(sessions.body.map((s: { id: string }) => s.id)).not.toContain('s-9');
    expect((await call(service, 'DELETE', '/api/v1/projects/p-4/sessions/s-9')).status).toBe(404);
  });

  it('starts every instance with its own sessions', async () => {
    const fresh = await startDemoService('projects');
    try {
      const { body } = await call(fresh, 'GET', '/api/v1/projects/p-4/sessions');
      expect(body.map((s: { id: string }) => s.id)).toContain('s-9');
    } finally {
      await fresh.close();
    }
  });

  it('reads an id with an encoded slash as one segment', async () => {
    const { status, body } = await call(service, 'GET', '/api/v1/projects/p-1%2Fsessions');
    expect(status).toBe(404);
    expect(body.detail).toBe('Project p-1/sessions not found');
  });
});
