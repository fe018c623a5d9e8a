import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeys, startDemoService, type DemoService } from '../../src/demo/index.js';
import { call, problemType } from './demo-client.js';

describe('knowledge demo service', () => {
  let service: DemoService;
  beforeAll(async () => {
    service = await startDemoService('knowledge');
  });
  afterAll(async () => {
    await service.close();
  });

  it('returns the fixture context c-1', async () => {
    const { status, headers, body } = await call(service, 'GET', '/api/v1/contexts/c-1', { key: demoKeys.reader });
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json');
    expect(body).toEqual({ id: 'c-1', name: 'Research' });
  });

  it('answers a missing context exactly as a bad key', async () => {
    const missing = await call(service, 'GET', '/api/v1/contexts/c-404');
    const badKey = await call(service, 'GET', '/api/v1/contexts/c-404', { key: 'wrong' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(missing.body).toMatchObject({ type: problemType('unauthorized'), status: 401, instance: '/api/v1/contexts/c-404' });
    expect(missing.text).toBe(badKey.text);
    for (const path of ['/api/v1/contexts/c-404/documents/d-1', '/api/v1/contexts/c-404/knowledge?q=x']) {
      expect((await call(service, 'GET', path)).status).toBe(401);
    }
    expect((await call(service, 'POST', '/api/v1/contexts/c-404/facts', { body: { text: 'x' } })).status).toBe(401);
  });

  it.each([
    ['d-1', 'ready', null],
    ['d-2', 'processing', null],
    ['d-3', 'failed', 'Unsupported PDF encoding'],
  ])('returns document %s as %s', async (id, status, error) => {
    const response = await call(service, 'GET', `/api/v1/contexts/c-1/documents/${id}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id, status, error });
  });

  it('answers an unknown document with a 404 Problem', async () => {
    const response = await call(service, 'GET', '/api/v1/contexts/c-1/documents/d-404');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body).toMatchObject({ type: problemType('not-found'), status: 404, detail: 'Document d-404 not found' });
  });

  it('creates a context with 201 and refuses the same id with 409 already_exists', async () => {
    const created = await call(service, 'POST', '/api/v1/contexts', { body: { id: 'c-new', name: 'New' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: 'c-new', name: 'New' });
    expect((await call(service, 'GET', '/api/v1/contexts/c-new')).body).toEqual({ id: 'c-new', name: 'New' });
    for (const id of ['c-new', 'c-1']) {
      const duplicate = await call(service, 'POST', '/api/v1/contexts', { body: { id, name: 'Again' } });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body).toMatchObject({ type: problemType('conflict'), status: 409, code: 'already_exists' });
    }
  });

  it.each([
    [{ id: 'c-x' }, [{ detail: 'name is required', pointer: '#/name' }]],
    [{ name: 'X' }, [{ detail: 'id is required', pointer: '#/id' }]],
    [{}, [{ detail: 'id is required', pointer: '#/id' }, { detail: 'name is required', pointer: '#/name' }]],
  ])('refuses creating %j with 400 and field errors', async (body, errors) => {
    const response = await call(service, 'POST', '/api/v1/contexts', { body });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body).toMatchObject({ status: 400, instance: '/api/v1/contexts', errors });
  });

  it('keeps a context id with a slash as one segment', async () => {
    expect((await call(service, 'POST', '/api/v1/contexts', { body: { id: 'team a/b', name: 'Slashed' } })).status).toBe(201);
    const found = await call(service, 'GET', `/api/v1/contexts/${encodeURIComponent('team a/b')}`);
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ id: 'team a/b', name: 'Slashed' });
  });

  it('remembers a fact once per Idempotency-Key and replays it', async () => {
    const headers = { 'idempotency-key': 'key-1' };
    const first = await call(service, 'POST', '/api/v1/contexts/c-1/facts', { body: { text: 'Hedy Lamarr co-invented frequency hopping' }, headers });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ id: expect.stringMatching(/^f-\d+$/), text: 'Hedy Lamarr co-invented frequency hopping' });
    const replay = await call(service, 'POST', '/api/v1/contexts/c-1/facts', { body: { text: 'Hedy Lamarr co-invented frequency hopping' }, headers });
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    const found = await call(service, 'GET', '/api/v1/contexts/c-1/knowledge?q=hedy');
    expect(found.body).toEqual([first.body]);
  });

  it('refuses the same Idempotency-Key with another body with 409 idempotency_conflict', async () => {
    const headers = { 'idempotency-key': 'key-2' };
    expect((await call(service, 'POST', '/api/v1/contexts/c-1/facts', { body: { text: 'one' }, headers })).status).toBe(201);
    const clash = await call(service, 'POST', '/api/v1/contexts/c-1/facts', { body: { text: 'two' }, headers });
    expect(clash.status).toBe(409);
    expect(clash.headers.get('content-type')).toBe('application/problem+json');
    expect(clash.body).toMatchObject({ type: problemType('conflict'), status: 409, code: 'idempotency_conflict' });
  });

  it('creates a new fact for every call without an Idempotency-Key', async () => {
    const one = await call(service, 'POST', '/api/v1/contexts/c-1/facts', { body: { text: 'same' } });
    const two = await call(service, 'POST', '/api/v1/contexts/c-1/facts', { body: { text: 'same' } });
    expect(one.body.id).not.toBe(two.body.id);
  });

  it.each([
    ['the read-only key', { key: demoKeys.reader, body: { text: 'x' } }, 403, 'forbidden'],
    ['no text', { body: {} }, 400, 'validation-error'],
    ['a body that is not JSON', { rawBody: 'text=x' }, 400, 'bad-request'],
  ])('refuses a fact from %s', async (_name, options, status, slug) => {
    const response = await call(service, 'POST', '/api/v1/contexts/c-1/facts', options);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ type: problemType(slug), status });
    if (slug === 'validation-error') expect(response.body.errors).toEqual([{ detail: 'text is required', pointer: '#/text' }]);
  });

  it('refuses creating a context with the read-only key', async () => {
    expect((await call(service, 'POST', '/api/v1/contexts', { key: demoKeys.reader, body: { id: 'c-r', name: 'R' } })).status).toBe(403);
  });

  it.each(['semantic', 'keyword', 'hybrid'])('searches facts case-insensitively in %s mode', async (mode) => {
    const { status, body } = await call(service, 'GET', `/api/v1/contexts/c-1/knowledge?q=GRACE&mode=${mode}`);
    expect(status).toBe(200);
    expect(body).toEqual([{ id: 'f-2', text: expect.stringContaining('Grace Hopper') }]);
  });

  it('returns every fact for an empty query', async () => {
    const { body } = await call(service, 'GET', '/api/v1/contexts/c-1/knowledge');
    expect(body.length).toBeGreaterThanOrEqual(3);
    for (const fact of body) expect(fact).toEqual({ id: expect.any(String), text: expect.any(String) });
  });

  it('refuses an unknown mode with 400 and a field error at #/mode', async () => {
    const { status, headers, body } = await call(service, 'GET', '/api/v1/contexts/c-1/knowledge?q=x&mode=fuzzy');
    expect(status).toBe(400);
    expect(headers.get('content-type')).toBe('application/problem+json');
    expect(body.errors).toEqual([{ detail: 'mode must be one of semantic, keyword, hybrid', pointer: '#/mode' }]);
  });

  it('answers the spent budget context with 429, Retry-After and retryAfter', async () => {
    const { status, headers, body } = await call(service, 'GET', '/api/v1/contexts/c-budget/knowledge?q=x');
    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBe('30');
    expect(body).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 30 });
  });

  it('answers the context with a down database with 503 service_unavailable', async () => {
    const { status, body } = await call(service, 'GET', '/api/v1/contexts/c-down/knowledge?q=x');
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: 503, detail: 'database unavailable', code: 'service_unavailable' });
    expect((await call(service, 'GET', '/api/v1/contexts/c-down')).status).toBe(200);
  });

  it('answers an expired key with 401 before anything else', async () => {
    const response = await call(service, 'POST', '/api/v1/contexts', { key: demoKeys.expired, body: { id: 'c-e', name: 'E' } });
    expect(response.status).toBe(401);
    expect(response.body.type).toBe(problemType('unauthorized'));
  });
});
