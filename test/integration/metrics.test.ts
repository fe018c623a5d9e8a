/**
 * `GET /metrics` over real HTTP, after real traffic through the gateway to the demo services
 * and to a refused port standing in for a service that is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { refusedPort } from '../support/http-server.js';

let gateway: TestGateway;
let scrape: { status: number; contentType: string | null; text: string };

/** The value of the one sample with exactly these labels, or `undefined` when there is none. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const wanted = Object.entries(labels);
    if (Object.keys(found).length === wanted.length && wanted.every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

beforeAll(async () => {
  // directory is down: its calls are refused, and enough of them open its circuit.
  gateway = await startTestGateway({ DIRECTORY_URL: `http://127.0.0.1:${await refusedPort()}` });
  const dashboard = await gateway.graphql('query Dashboard { projects { id owner { name } workspace { name } } }');
  expect(dashboard.status).toBe(200);
  expect(dashboard.body.data?.['projects']).toHaveLength(5);
  await gateway.graphql('query Dashboard { projects { id owner { name } } }');
  await gateway.graphql('{ project(id: "p-1") { name } }');
  await gateway.graphql('{ project(id: "p-1") { name } }', { authorization: null });
  // Not a GraphQL request: the GraphiQL page, which must not count as an anonymous success.
  expect((await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } })).status).toBe(200);
  const response = await fetch(`${gateway.url}/metrics`);
  scrape = { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
});
afterAll(() => gateway.stop(0));

describe('GET /metrics', () => {
  it('answers in the Prometheus text format', () => {
    expect(scrape.status).toBe(200);
    expect(scrape.contentType).toContain('text/plain');
    expect(scrape.text).toContain('# TYPE conflux_graphql_requests_total counter');
    expect(scrape.text).toContain('# TYPE conflux_upstream_request_duration_seconds histogram');
  });

  it('counts requests by operation and outcome', () => {
    expect(sample(scrape.text, 'conflux_graphql_requests_total', { operation: 'Dashboard', outcome: 'partial' })).toBe(2);
    expect(sample(scrape.text, 'conflux_graphql_requests_total', { operation: 'anonymous', outcome: 'success' })).toBe(1);
    expect(sample(scrape.text, 'conflux_graphql_requests_total', { operation: 'anonymous', outcome: 'error' })).toBe(1);
  });

  it('counts errors by code and the upstream service that caused them', () => {
    expect(sample(scrape.text, 'conflux_graphql_errors_total', { code: 'FORBIDDEN', service: 'workspaces' })).toBe(1);
    expect(sample(scrape.text, 'conflux_graphql_errors_total', { code: 'SERVICE_UNAVAILABLE', service: 'directory' })).toBeGreaterThanOrEqual(5);
    expect(sample(scrape.text, 'conflux_graphql_errors_total', { code: 'UNAUTHENTICATED', service: 'gateway' })).toBe(1);
  });

  it('keeps a latency histogram of upstream attempts per service and outcome', () => {
    const ok = { service: 'projects', method: 'GET', outcome: 'ok' };
    expect(sample(scrape.text, 'conflux_upstream_request_duration_seconds_count', ok)).toBeGreaterThanOrEqual(3);
    expect(sample(scrape.text, 'conflux_upstream_request_duration_seconds_bucket', { ...ok, le: '+Inf' })).toBe(sample(scrape.text, 'conflux_upstream_request_duration_seconds_count', ok));
    expect(sample(scrape.text, 'conflux_upstream_request_duration_seconds_count', { service: 'workspaces', method: 'GET', outcome: 'response' })).toBeGreaterThanOrEqual(1);
    expect(sample(scrape.text, 'conflux_upstream_request_duration_seconds_count', { service: 'directory', method: 'GET', outcome: 'refused' })).toBeGreaterThanOrEqual(5);
  });

  it('shows each circuit state: open for the refused service, closed for the others', () => {
    expect(sample(scrape.text, 'conflux_upstream_circuit_state', { service: 'directory', state: 'open' })).toBe(1);
    expect(sample(scrape.text, 'conflux_upstream_circuit_state', { service: 'directory', state: 'closed' })).toBe(0);
    expect(sample(scrape.text, 'conflux_upstream_circuit_state', { service: 'projects', state: 'closed' })).toBe(1);
  });

  it('answers HEAD with the headers alone, and any other method with 405', async () => {
    const head = await fetch(`${gateway.url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toContain('text/plain');
    expect(await head.text()).toBe('');
    const post = await fetch(`${gateway.url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(await post.json()).toMatchObject({ errors: [{ message: '/metrics only answers GET and HEAD requests.', extensions: { code: 'VALIDATION_ERROR' } }] });
  });

  it('puts no credential, id or address in any label', () => {
    for (const secret of ['demo-admin', 'Bearer', 'p-1', 'p-4', 'u-9', '127.0.0.1', gateway.upstreamUrls.projects]) {
      expect(scrape.text).not.toContain(secret);
    }
  });

  it('is absent with METRICS=false', async () => {
    const plain = await startTestGateway({ METRICS: 'false' });
    try {
      const response = await fetch(`${plain.url}/metrics`);
      await response.arrayBuffer();
      expect(response.status).toBe(404);
      expect(plain.metrics).toBeUndefined();
    } finally {
      await plain.stop(0);
    }
  });
});

describe('createMetrics', () => {
  it('counts GraphQL on every URL yoga serves it at, and nothing on one it answers 404', async () => {
    const own = await startTestGateway();
    try {
      const post = (path: string) =>
        fetch(`${own.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' }, body: JSON.stringify({ query: 'query Trailing { user(id: "u-9") { id } }' }) });
      for (const path of ['/graphql', '/graphql/', '/api/graphql']) expect((await post(path)).status).toBe(200);
      expect((await fetch(`${own.url}/nope/graphql?x=1`, { headers: { authorization: 'Bearer demo-admin' } })).status).toBe(404);
      const text = await (await fetch(`${own.url}/metrics`)).text();
      expect(sample(text, 'conflux_graphql_requests_total', { operation: 'Trailing', outcome: 'partial' })).toBe(3);
      expect(sample(text, 'conflux_graphql_requests_total', { operation: 'anonymous', outcome: 'error' })).toBeUndefined();
      expect(sample(text, 'conflux_graphql_errors_total', { code: 'NOT_FOUND', service: 'directory' })).toBe(3);
      expect(sample(text, 'conflux_graphql_errors_total', { code: 'NOT_FOUND', service: 'gateway' })).toBeUndefined();
    } finally {
      await own.stop(0);
    }
  });

  it('counts operation names past the cap as other', async () => {
    const metrics = createMetrics({ maxOperationNames: 2 });
    for (const operation of ['A', 'B', 'C', 'D', 'A']) {
      metrics.onRequestReport({ requestId: 'r', method: 'POST', path: '/graphql', operation, operationType: 'query', status: 200, durationMs: 1, outcome: 'success', errors: [], graphql: true });
    }
    const text = await metrics.registry.metrics();
    expect(sample(text, 'conflux_graphql_requests_total', { operation: 'A', outcome: 'success' })).toBe(2);
    expect(sample(text, 'conflux_graphql_requests_total', { operation: 'B', outcome: 'success' })).toBe(1);
    expect(sample(text, 'conflux_graphql_requests_total', { operation: 'other', outcome: 'success' })).toBe(2);
    expect(text).not.toContain('operation="C"');
  });
});
