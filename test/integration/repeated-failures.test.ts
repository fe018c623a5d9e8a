/**
 * An upstream failing the same way to many requests, each request sending its own call
 * (coalescing off): the gateway reads and maps that answer once, yet every request gets its own
 * contract error, its own request id and, where the upstream numbers its answers, the upstream's
 * id of the answer it got.
 */
import { describe, expect, it } from 'vitest';
import { errorAt } from '../support/gateway.js';
import { json } from '../support/http-server.js';
import { useTestResources } from '../support/resources.js';

const use = useTestResources();

const missing = { type: 'https://problems.example/not-found', title: 'Not Found', status: 404, detail: 'Project p-404 not found', instance: '/api/v1/projects/p-404' };

describe('the same failure answered to many requests', () => {
  it('gives each request the contract error at its own path, under its own request id', async () => {
    const upstream = await use.server((request, response) => {
      if (request.url === '/api/v1/projects/p-1') return json(response, 200, { id: 'p-1', name: 'Project 1', ownerId: 'u-1', sessionIds: [] });
      json(response, 404, missing, { 'content-type': 'application/problem+json' });
    });
    const gateway = await use.gateway({ PROJECTS_URL: upstream.url, UPSTREAM_COALESCE: 'false' });
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => gateway.graphql(`{ found: project(id: "p-1") { id } m${i}: project(id: "p-404") { id name } }`)),
    );
    expect(upstream.requests.filter((request) => request.url === '/api/v1/projects/p-404')).toHaveLength(40);
    const requestIds = new Set<string>();
    replies.forEach((reply, i) => {
      expect(reply.body.data).toEqual({ found: { id: 'p-1' }, [`m${i}`]: null });
      expect(reply.body.errors).toHaveLength(1);
      const error = errorAt(reply, [`m${i}`])!;
      expect(error.message).toBe('Project p-404 not found');
      expect(error.locations).toEqual([{ line: 1, column: 36 }]);
      expect(error.extensions).toEqual({
        code: 'NOT_FOUND',
        status: 404,
        requestId: reply.headers.get('x-request-id'),
        upstream: { service: 'projects', status: 404, code: 'not_found', type: missing.type, title: 'Not Found', instance: missing.instance },
      });
      requestIds.add(error.extensions['requestId'] as string);
    });
    expect(requestIds.size).toBe(40);
  });

  it("shows each request the upstream's own id of the answer it got", async () => {
    // The upstream numbers every answer after the gateway request it serves: no two are alike.
    const upstream = await use.server((request, response) =>
      json(response, 404, missing, { 'content-type': 'application/problem+json', 'x-request-id': `up-${String(request.headers['x-request-id'])}` }),
    );
    const gateway = await use.gateway({ PROJECTS_URL: upstream.url, UPSTREAM_COALESCE: 'false' });
    const replies = await Promise.all(Array.from({ length: 20 }, () => gateway.graphql('{ project(id: "p-404") { id } }')));
    for (const reply of replies) {
      const { extensions } = errorAt(reply, ['project'])!;
      expect((extensions['upstream'] as { requestId?: string }).requestId).toBe(`up-${String(extensions['requestId'])}`);
    }
  });
});
