/**
 * Every canonical code reaching a GraphQL client from a real upstream response of the demo
 * services, each in its own dialect, at the path of the field that failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorAt, startTestGateway, type TestGateway } from '../support/gateway.js';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => gateway.stop(0));

interface Row {
  name: string;
  query: string;
  path: Array<string | number>;
  code: string;
  status: number;
  service: string;
  upstreamStatus: number;
  upstreamCode?: string;
  authorization?: string;
  extra?: (error: Record<string, any>) => void;
}

const rows: Row[] = [
  {
    name: 'an expired key (Problem Details 401) → UNAUTHENTICATED',
    query: '{ project(id: "p-1") { name } }',
    path: ['project'],
    code: 'UNAUTHENTICATED',
    status: 401,
    service: 'projects',
    upstreamStatus: 401,
    upstreamCode: 'unauthorized',
    authorization: 'Bearer demo-expired',
  },
  {
    name: 'a missing knowledge context, masked by the upstream as 401 → UNAUTHENTICATED, never NOT_FOUND',
    query: '{ context(id: "c-nope") { name } }',
    path: ['context'],
    code: 'UNAUTHENTICATED',
    status: 401,
    service: 'knowledge',
    upstreamStatus: 401,
  },
  {
    name: 'a workspace the caller may not see (flat coded 403) → FORBIDDEN',
    query: '{ workspace(id: "w-locked") { name } }',
    path: ['workspace'],
    code: 'FORBIDDEN',
    status: 403,
    service: 'workspaces',
    upstreamStatus: 403,
    upstreamCode: 'FORBIDDEN',
  },
  {
    name: 'a read-only key asking for an email (nested coded insufficient_scope) → FORBIDDEN with requiredScope',
    query: '{ user(id: "u-1") { name email } }',
    path: ['user', 'email'],
    code: 'FORBIDDEN',
    status: 403,
    service: 'directory',
    upstreamStatus: 403,
    upstreamCode: 'insufficient_scope',
    authorization: 'Bearer demo-reader',
    extra: (error) => expect(error.extensions.details).toEqual({ requiredScope: 'users:email' }),
  },
  {
    name: 'a missing user (nested coded not_found) → NOT_FOUND with the upstream message',
    query: '{ user(id: "u-9") { name } }',
    path: ['user'],
    code: 'NOT_FOUND',
    status: 404,
    service: 'directory',
    upstreamStatus: 404,
    upstreamCode: 'not_found',
    extra: (error) => expect(error.message).toBe('User u-9 not found'),
  },
  {
    name: 'a gone project (Problem 410) → NOT_FOUND',
    query: '{ project(id: "p-archived") { name } }',
    path: ['project'],
    code: 'NOT_FOUND',
    status: 404,
    service: 'projects',
    upstreamStatus: 410,
  },
  {
    name: 'a bad insight transition (flat coded 400) → VALIDATION_ERROR with validTransitions',
    query: 'mutation { transitionInsight(workspaceId: "w-1", insightId: "i-1", status: IMPLEMENTED) { id } }',
    path: ['transitionInsight'],
    code: 'VALIDATION_ERROR',
    status: 400,
    service: 'workspaces',
    upstreamStatus: 400,
    upstreamCode: 'INVALID_STATUS_TRANSITION',
    extra: (error) => {
      expect(error.extensions.details.validTransitions).toEqual(['accepted', 'rejected']);
      expect(error.message).toContain('Valid transitions');
    },
  },
  {
    name: 'a throttled synthesis (flat coded 429, retry_after in the body) → RATE_LIMITED with retryAfter',
    query: 'mutation { startSynthesis(workspaceId: "w-throttled") { id } }',
    path: ['startSynthesis'],
    code: 'RATE_LIMITED',
    status: 429,
    service: 'workspaces',
    upstreamStatus: 429,
    upstreamCode: 'RATE_LIMIT_EXCEEDED',
    extra: (error) => expect(error.extensions.retryAfter).toBe(12),
  },
  {
    name: 'a spent token budget (Problem 429 with Retry-After) → RATE_LIMITED with retryAfter',
    query: '{ context(id: "c-budget") { knowledge(query: "x") { id } } }',
    path: ['context', 'knowledge'],
    code: 'RATE_LIMITED',
    status: 429,
    service: 'knowledge',
    upstreamStatus: 429,
    extra: (error) => expect(error.extensions.retryAfter).toBe(30),
  },
  {
    name: 'a synthesis already running (SYNTHESIS_IN_PROGRESS 409) → CONFLICT',
    query: 'mutation { startSynthesis(workspaceId: "w-busy") { id } }',
    path: ['startSynthesis'],
    code: 'CONFLICT',
    status: 409,
    service: 'workspaces',
    upstreamStatus: 409,
    upstreamCode: 'SYNTHESIS_IN_PROGRESS',
  },
  {
    name: 'sources not ready (422) → CONFLICT through the default per-service override',
    query: 'mutation { startSynthesis(workspaceId: "w-unready") { id } }',
    path: ['startSynthesis'],
    code: 'CONFLICT',
    status: 409,
    service: 'workspaces',
    upstreamStatus: 422,
    upstreamCode: 'SOURCES_NOT_READY',
  },
  {
    name: 'an existing context id (Problem 409 already_exists) → CONFLICT',
    query: 'mutation { createContext(id: "c-1", name: "Again") { id } }',
    path: ['createContext'],
    code: 'CONFLICT',
    status: 409,
    service: 'knowledge',
    upstreamStatus: 409,
  },
  {
    name: 'a plan limit (USAGE_LIMIT_EXCEEDED 402) → QUOTA_EXCEEDED with usage figures',
    query: 'mutation { startSynthesis(workspaceId: "w-quota") { id } }',
    path: ['startSynthesis'],
    code: 'QUOTA_EXCEEDED',
    status: 402,
    service: 'workspaces',
    upstreamStatus: 402,
    upstreamCode: 'USAGE_LIMIT_EXCEEDED',
    extra: (error) => expect(error.extensions.details).toEqual({ current: 3, limit: 3, plan: 'trial' }),
  },
  {
    name: 'a failing sessions call (Problem 500) → UPSTREAM_ERROR with a fixed sentence',
    query: '{ project(id: "p-5") { name sessions { id } } }',
    path: ['project', 'sessions'],
    code: 'UPSTREAM_ERROR',
    status: 500,
    service: 'projects',
    upstreamStatus: 500,
    extra: (error) => {
      expect(error.message).toBe('The projects service failed');
      expect(JSON.stringify(error)).not.toMatch(/req_|Request ID/);
    },
  },
  {
    name: 'a leaky database failure (nested coded query_failed 500) → UPSTREAM_ERROR, nothing leaked',
    query: '{ user(id: "u-broken") { name } }',
    path: ['user'],
    code: 'UPSTREAM_ERROR',
    status: 500,
    service: 'directory',
    upstreamStatus: 500,
    upstreamCode: 'query_failed',
    extra: (error) => {
      expect(error.message).toBe('The directory service failed');
      expect(JSON.stringify(error)).not.toMatch(/SELECT|db-7|5432/);
    },
  },
  {
    name: 'a failed synthesis (SYNTHESIS_FAILED 500) → UPSTREAM_ERROR',
    query: 'mutation { startSynthesis(workspaceId: "w-broken") { id } }',
    path: ['startSynthesis'],
    code: 'UPSTREAM_ERROR',
    status: 500,
    service: 'workspaces',
    upstreamStatus: 500,
    upstreamCode: 'SYNTHESIS_FAILED',
  },
  {
    name: "the upstream's own upstream failing (BAD_GATEWAY 502) → BAD_GATEWAY",
    query: 'mutation { startSynthesis(workspaceId: "w-upstream") { id } }',
    path: ['startSynthesis'],
    code: 'BAD_GATEWAY',
    status: 502,
    service: 'workspaces',
    upstreamStatus: 502,
    extra: (error) => expect(error.message).not.toContain('Stripe'),
  },
  {
    name: 'an agent not configured (AGENT_NOT_CONFIGURED 503) → SERVICE_UNAVAILABLE',
    query: 'mutation { startSynthesis(workspaceId: "w-noagent") { id } }',
    path: ['startSynthesis'],
    code: 'SERVICE_UNAVAILABLE',
    status: 503,
    service: 'workspaces',
    upstreamStatus: 503,
    upstreamCode: 'AGENT_NOT_CONFIGURED',
    extra: (error) => expect(error.message).not.toContain('ANTHROPIC'),
  },
  {
    name: 'a database down (Problem 503) → SERVICE_UNAVAILABLE',
    query: '{ context(id: "c-down") { knowledge(query: "x") { id } } }',
    path: ['context', 'knowledge'],
    code: 'SERVICE_UNAVAILABLE',
    status: 503,
    service: 'knowledge',
    upstreamStatus: 503,
  },
];

describe('canonical codes from the demo upstreams', () => {
  it.each(rows)('$name', async (row) => {
    const reply = await gateway.graphql(row.query, { authorization: row.authorization ?? 'Bearer demo-admin' });
    expect(reply.status).toBe(200);
    expect(reply.body.data).toBeDefined();
    const error = errorAt(reply, row.path);
    expect(error.extensions.code).toBe(row.code);
    expect(error.extensions.status).toBe(row.status);
    expect(error.extensions.requestId).toBe(reply.headers.get('x-request-id'));
    expect(error.extensions.upstream.service).toBe(row.service);
    expect(error.extensions.upstream.status).toBe(row.upstreamStatus);
    if (row.upstreamCode) expect(error.extensions.upstream.code).toBe(row.upstreamCode);
    if (row.code !== 'RATE_LIMITED' && row.code !== 'SERVICE_UNAVAILABLE') expect(error.extensions.retryAfter).toBeUndefined();
    expect(error.locations).toBeDefined();
    row.extra?.(error);
  });
});
