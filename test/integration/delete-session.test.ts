/**
 * `deleteSession`, the one write whose result is only that it happened: against the demo
 * `projects` service (its Problem Details dialect), and against upstreams that answer a DELETE
 * their own way. A write without a key is sent once; with one it is retried with that key.
 */
import { describe, expect, it } from 'vitest';
import { errorAt } from '../support/gateway.js';
import { json } from '../support/http-server.js';
import { useTestResources } from '../support/resources.js';

const use = useTestResources();

const deleteS1 = 'mutation { deleteSession(projectId: "p-1", sessionId: "s-1") }';
const sessionsOfP1 = '{ project(id: "p-1") { sessions { id } } }';

describe('deleteSession', () => {
  it('deletes on the demo upstream: true, the session gone, and a second delete NOT_FOUND', async () => {
    const gateway = await use.gateway();
    expect((await gateway.graphql(sessionsOfP1)).body.data!['project'].sessions).toContainEqual({ id: 's-1' });

    expect((await gateway.graphql(deleteS1)).body).toEqual({ data: { deleteSession: true } });
    expect((await gateway.graphql(sessionsOfP1)).body.data!['project'].sessions).not.toContainEqual({ id: 's-1' });

    const again = await gateway.graphql(deleteS1);
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual({ deleteSession: null });
    expect(errorAt(again, ['deleteSession'])).toMatchObject({
      message: 'Session s-1 not found in project p-1',
      extensions: { code: 'NOT_FOUND', status: 404, upstream: { service: 'projects', status: 404, code: 'not_found' } },
    });
  });

  it('a read-only key → FORBIDDEN, and nothing is deleted', async () => {
    const gateway = await use.gateway();
    const refused = await gateway.graphql(deleteS1, { authorization: 'Bearer demo-reader' });
    expect(refused.body.data).toEqual({ deleteSession: null });
    expect(errorAt(refused, ['deleteSession']).extensions).toMatchObject({ code: 'FORBIDDEN', status: 403, upstream: { service: 'projects', status: 403 } });
    expect((await gateway.graphql(sessionsOfP1)).body.data!['project'].sessions).toContainEqual({ id: 's-1' });
  });

  it('an unknown project → NOT_FOUND, with no call for an id that is not one path segment', async () => {
    const gateway = await use.gateway();
    const missing = await gateway.graphql('mutation { deleteSession(projectId: "p-404", sessionId: "s-1") }');
    expect(errorAt(missing, ['deleteSession']).extensions).toMatchObject({ code: 'NOT_FOUND', upstream: { status: 404 } });
    const calls = gateway.demo!.services.projects!.requests.length;
    const invalid = await gateway.graphql('mutation { deleteSession(projectId: "p-1", sessionId: "..") }');
    expect(errorAt(invalid, ['deleteSession']).extensions['code']).toBe('VALIDATION_ERROR');
    expect(gateway.demo!.services.projects!.requests.length).toBe(calls);
  });

  it.each([
    ['200 with a plain-text OK', 200, 'text/plain', 'OK'],
    ['200 with a JSON body', 200, 'application/json', '{"deleted":true}'],
    ['202 with nothing', 202, 'application/json', ''],
  ])('an upstream that answers %s has deleted: true, not BAD_GATEWAY', async (_name, status, contentType, body) => {
    const upstream = await use.server((_request, response) => {
      response.writeHead(status, { 'content-type': contentType });
      response.end(body);
    });
    const gateway = await use.gateway({ PROJECTS_URL: upstream.url });
    expect((await gateway.graphql(deleteS1)).body).toEqual({ data: { deleteSession: true } });
    expect(upstream.requests.map((request) => `${request.method} ${request.url}`)).toEqual(['DELETE /api/v1/projects/p-1/sessions/s-1']);
  });

  it('a 503 is sent once without a key, and retried with the same Idempotency-Key when the client sent one', async () => {
    let calls = 0;
    const upstream = await use.server((_request, response) => {
      if (++calls % 2 === 1) json(response, 503, { status: 503, title: 'Unavailable' });
      else response.writeHead(204).end();
    });
    const gateway = await use.gateway({ PROJECTS_URL: upstream.url });
    const once = await gateway.graphql(deleteS1);
    expect(errorAt(once, ['deleteSession']).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', upstream: { status: 503 } });
    expect(upstream.requests).toHaveLength(1);

    calls = 0;
    const keyed = await gateway.graphql(deleteS1, { headers: { 'idempotency-key': 'del-7' } });
    expect(keyed.body).toEqual({ data: { deleteSession: true } });
    expect(upstream.requests.slice(1).map((request) => request.headers['idempotency-key'])).toEqual(['del-7', 'del-7']);
  });
});
