import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeys, startDemoService, type DemoService } from '../../src/demo/index.js';
import { call } from './demo-client.js';

describe('workspaces demo service', () => {
  let service: DemoService;
  beforeAll(async () => {
    service = await startDemoService('workspaces');
  });
  afterAll(async () => {
    await service.close();
  });

  it.each([
    ['w-1', 'Core', 'team'],
    ['w-2', 'Labs', 'trial'],
    ['w-busy', expect.any(String), 'team'],
    ['w-noagent', expect.any(String), 'team'],
  ])('returns workspace %s', async (id, name, plan) => {
    const { status, headers, body } = await call(service, 'GET', `/api/v1/workspaces/${id}`);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json');
    expect(body).toEqual({ id, name, plan });
  });

  it('lists the insights of w-1 with one of each status', async () => {
    const { status, body } = await call(service, 'GET', '/api/v1/workspaces/w-1/insights', { key: demoKeys.reader });
    expect(status).toBe(200);
    expect(body.map((i: { id: string; status: string }) => [i.id, i.status])).toEqual([
      ['i-1', 'suggested'],
      ['i-2', 'accepted'],
      ['i-3', 'rejected'],
      ['i-4', 'implemented'],
    ]);
  });

  it('lists no insights for a workspace without any', async () => {
    expect((await call(service, 'GET', '/api/v1/workspaces/w-busy/insights')).body).toEqual([]);
  });

  it.each([
    ['GET', '/api/v1/workspaces/w-locked', 403, 'FORBIDDEN', 'You do not have access to this workspace'],
    ['GET', '/api/v1/workspaces/w-locked/insights', 403, 'FORBIDDEN', 'You do not have access to this workspace'],
    ['POST', '/api/v1/workspaces/w-locked/synthesis', 403, 'FORBIDDEN', 'You do not have access to this workspace'],
    ['GET', '/api/v1/workspaces/w-404', 404, 'NOT_FOUND', 'Workspace w-404 not found'],
    ['GET', '/api/v1/workspaces/w-404/insights', 404, 'NOT_FOUND', 'Workspace w-404 not found'],
    ['POST', '/api/v1/workspaces/w-404/synthesis', 404, 'NOT_FOUND', 'Workspace w-404 not found'],
    ['GET', '/api/v1/nothing', 404, 'NOT_FOUND', expect.any(String)],
    ['DELETE', '/api/v1/workspaces/w-1', 405, 'METHOD_NOT_ALLOWED', expect.any(String)],
  ])('%s %s answers %i %s', async (method, path, status, code, message) => {
    const response = await call(service, method, path);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.body).toEqual({ code, message });
  });

  it.each([
    ['no key', null],
    ['an expired key', demoKeys.expired],
    ['a key of another scheme', 'demo-admin-not'],
  ])('answers %s with UNAUTHORIZED 401', async (_name, key) => {
    const { status, body } = await call(service, 'GET', '/api/v1/workspaces/w-1', { key });
    expect(status).toBe(401);
    expect(body).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid or expired authentication token.' });
  });

  it.each([
    ['PATCH', '/api/v1/workspaces/w-2/insights/i-5', { status: 'accepted' }],
    ['POST', '/api/v1/workspaces/w-1/synthesis', {}],
  ])('refuses %s %s with the read-only key', async (method, path, body) => {
    const response = await call(service, method, path, { key: demoKeys.reader, body });
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('FORBIDDEN');
  });

  it('moves an insight along a valid transition', async () => {
    const { status, body } = await call(service, 'PATCH', '/api/v1/workspaces/w-2/insights/i-5', { body: { status: 'accepted' } });
    expect(status).toBe(200);
    expect(body).toEqual({ id: 'i-5', title: expect.any(String), status: 'accepted' });
    const list = await call(service, 'GET', '/api/v1/workspaces/w-2/insights');
    expect(list.body[0].status).toBe('accepted');
  });

  it.each([
    ['i-1', 'implemented', "Cannot transition from 'suggested' to 'implemented'. Valid transitions: accepted, rejected.", ['accepted', 'rejected']],
    ['i-3', 'accepted', "Cannot transition from 'rejected' to 'accepted'. Valid transitions: suggested.", ['suggested']],
    ['i-4', 'rejected', "Cannot transition from 'implemented' to 'rejected'. Valid transitions: none.", []],
  ])('refuses moving %s to %s with INVALID_STATUS_TRANSITION', async (id, status, message, validTransitions) => {
    const response = await call(service, 'PATCH', `/api/v1/workspaces/w-1/insights/${id}`, { body: { status } });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ code: 'INVALID_STATUS_TRANSITION', message, details: { valid_transitions: validTransitions } });
  });

  it.each([
    ['an unknown status', { status: 'shipped' }],
    ['no status', {}],
    ['a body that is not an object', [1, 2]],
  ])('answers %s with VALIDATION_ERROR 400', async (_name, body) => {
    const response = await call(service, 'PATCH', '/api/v1/workspaces/w-1/insights/i-1', { body });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_ERROR');
  });

  it('answers an unknown insight with NOT_FOUND 404', async () => {
    const response = await call(service, 'PATCH', '/api/v1/workspaces/w-1/insights/i-404', { body: { status: 'accepted' } });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ code: 'NOT_FOUND', message: 'Insight i-404 not found' });
  });

  it('answers a body that is not JSON with 400', async () => {
    const response = await call(service, 'PATCH', '/api/v1/workspaces/w-1/insights/i-1', { rawBody: '{"status":' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ code: 'BAD_REQUEST', message: expect.any(String) });
  });

  it('starts a synthesis with 202 and a new id each time', async () => {
    const first = await call(service, 'POST', '/api/v1/workspaces/w-1/synthesis', { body: {} });
    const second = await call(service, 'POST', '/api/v1/workspaces/w-2/synthesis');
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ id: expect.stringMatching(/^syn-\d+$/), status: 'running' });
    expect(second.status).toBe(202);
    expect(second.body.id).not.toBe(first.body.id);
  });

  it.each([
    ['w-busy', 409, 'SYNTHESIS_IN_PROGRESS', undefined],
    ['w-unready', 422, 'SOURCES_NOT_READY', undefined],
    ['w-quota', 402, 'USAGE_LIMIT_EXCEEDED', { usage_type: 'synthesis', current: 3, limit: 3, plan: 'trial', upgrade_required: true }],
    ['w-throttled', 429, 'RATE_LIMIT_EXCEEDED', { retry_after: 12 }],
    ['w-broken', 500, 'SYNTHESIS_FAILED', undefined],
    ['w-upstream', 502, 'BAD_GATEWAY', undefined],
    ['w-noagent', 503, 'AGENT_NOT_CONFIGURED', undefined],
  ])('answers a synthesis in %s with %i %s', async (id, status, code, details) => {
    const response = await call(service, 'POST', `/api/v1/workspaces/${id}/synthesis`, { body: {} });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.body).toEqual({ code, message: expect.any(String), ...(details ? { details } : {}) });
    expect(response.headers.get('retry-after')).toBeNull();
  });

  it('words the synthesis failures as the contract shows', async () => {
    const messages = await Promise.all(
      ['w-unready', 'w-broken', 'w-upstream', 'w-noagent'].map(async (id) => (await call(service, 'POST', `/api/v1/workspaces/${id}/synthesis`)).body.message),
    );
    expect(messages[0]).toMatch(/^2 source\(s\) are not yet processed: /);
    expect(messages.slice(1)).toEqual([
      'Synthesis failed: Agent timed out after 300 seconds.',
      'Failed to create Stripe customer',
      'AI agent is not configured. Please check ANTHROPIC_API_KEY.',
    ]);
  });
});
