/**
 * `x-request-id` on every response and on every upstream call of the request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => gateway.stop(0));

const lastRequestId = (service: 'projects' | 'directory' | 'workspaces') => gateway.demo!.services[service]!.requests.at(-1)!.headers['x-request-id'];

describe('x-request-id', () => {
  it("keeps the caller's sane id and sends it to every upstream of the request", async () => {
    const reply = await gateway.graphql('{ project(id: "p-1") { name owner { name } workspace { name } } }', { headers: { 'x-request-id': 'abc.DEF_123-x' } });
    expect(reply.headers.get('x-request-id')).toBe('abc.DEF_123-x');
    expect(lastRequestId('projects')).toBe('abc.DEF_123-x');
    expect(lastRequestId('directory')).toBe('abc.DEF_123-x');
    expect(lastRequestId('workspaces')).toBe('abc.DEF_123-x');
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['with a space', 'two words'],
    ['with a slash', 'a/b'],
    ['with a quote', 'a"b'],
  ])('replaces an id that is %s with a new one', async (_name, sent) => {
    const reply = await gateway.graphql('{ project(id: "p-1") { name } }', { headers: { 'x-request-id': sent } });
    const id = reply.headers.get('x-request-id')!;
    expect(id).not.toBe(sent);
    expect(id).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
    expect(lastRequestId('projects')).toBe(id);
  });

  it('makes a fresh id per request when the caller sends none', async () => {
    const first = await gateway.graphql('{ project(id: "p-1") { name } }');
    const second = await gateway.graphql('{ project(id: "p-1") { name } }');
    expect(first.headers.get('x-request-id')).not.toBe(second.headers.get('x-request-id'));
  });

  it('is on /health, /ready and the GraphiQL page too', async () => {
    for (const [path, accept] of [['/health', '*/*'], ['/ready', '*/*'], ['/graphql', 'text/html']] as const) {
      const response = await fetch(`${gateway.url}${path}`, { headers: { accept } });
      expect(response.status, path).toBe(200);
      expect(response.headers.get('x-request-id'), path).toMatch(/^[A-Za-z0-9._-]+$/);
      await response.arrayBuffer();
    }
  });
});
