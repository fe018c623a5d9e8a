/**
 * ERRORS.md §5: a failure nulls its own field and adds one error at its path; siblings, other
 * list items, other services and other mutations keep their data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorAt, startTestGateway, type TestGateway } from '../support/gateway.js';
import { json, startTestServer, type TestServer } from '../support/http-server.js';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => gateway.stop(0));

describe('partial data', () => {
  it('nulls one field and keeps its siblings', async () => {
    const reply = await gateway.graphql('{ project(id: "p-3") { id name owner { name } workspace { name } } }');
    expect(reply.status).toBe(200);
    expect(reply.body.data).toEqual({ project: { id: 'p-3', name: 'Cygnus', owner: null, workspace: { name: 'Core' } } });
    expect(reply.body.errors).toHaveLength(1);
    expect(errorAt(reply, ['project', 'owner']).extensions.code).toBe('NOT_FOUND');
  });

  it('fails list items one by one, with the item index in the path', async () => {
    const reply = await gateway.graphql('{ projects { id owner { name } workspace { name } } }');
    expect(reply.status).toBe(200);
    const projects = reply.body.data!['projects'] as Array<Record<string, any>>;
    expect(projects.map((project) => project['id'])).toEqual(['p-1', 'p-2', 'p-3', 'p-4', 'p-5']);
    expect(projects[0]).toEqual({ id: 'p-1', owner: { name: 'Ada Lovelace' }, workspace: { name: 'Core' } });
    expect(projects[2]!['owner']).toBeNull();
    expect(projects[3]!['workspace']).toBeNull();
    expect(projects[3]!['owner']).toEqual({ name: 'Ada Lovelace' });
    expect(errorAt(reply, ['projects', 2, 'owner']).extensions.code).toBe('NOT_FOUND');
    expect(errorAt(reply, ['projects', 3, 'workspace']).extensions.code).toBe('FORBIDDEN');
    expect(reply.body.errors).toHaveLength(2);
  });

  it('keeps the data of other services when one fails', async () => {
    const reply = await gateway.graphql('{ user(id: "u-9") { name } workspace(id: "w-1") { name plan } context(id: "c-1") { name } }');
    expect(reply.status).toBe(200);
    expect(reply.body.data).toEqual({ user: null, workspace: { name: 'Core', plan: 'team' }, context: { name: 'Research' } });
    expect(errorAt(reply, ['user']).extensions.code).toBe('NOT_FOUND');
  });

  it('nulls a failed mutation alone while the next mutation still runs', async () => {
    const reply = await gateway.graphql(`mutation {
      bad: startSynthesis(workspaceId: "w-busy") { id }
      good: startSynthesis(workspaceId: "w-1") { id status }
      fact: rememberFact(contextId: "c-1", text: "partial data is data") { text }
    }`);
    expect(reply.status).toBe(200);
    expect(reply.body.data!['bad']).toBeNull();
    expect(reply.body.data!['good']).toMatchObject({ status: 'running' });
    expect(reply.body.data!['fact']).toEqual({ text: 'partial data is data' });
    expect(reply.body.errors).toHaveLength(1);
    expect(errorAt(reply, ['bad']).extensions.code).toBe('CONFLICT');
  });

  it('keeps a failed document as data, not as an error', async () => {
    const reply = await gateway.graphql('{ context(id: "c-1") { document(id: "d-3") { id status error } } }');
    expect(reply.status).toBe(200);
    expect(reply.body.errors).toBeUndefined();
    expect(reply.body.data).toEqual({ context: { document: { id: 'd-3', status: 'FAILED', error: 'Unsupported PDF encoding' } } });
  });

  it('answers 200 whenever data is present, whatever the errors', async () => {
    const reply = await gateway.graphql('{ a: user(id: "u-9") { name } b: project(id: "nope") { name } }');
    expect(reply.status).toBe(200);
    expect(reply.body.data).toEqual({ a: null, b: null });
    expect(reply.body.errors?.map((error) => error.extensions['code']).sort()).toEqual(['NOT_FOUND', 'NOT_FOUND']);
  });
});

describe('the order of fields', () => {
  let ordered: TestGateway;
  let knowledge: TestServer;
  beforeAll(async () => {
    // `c-slow` answers last and `c-gone` fails: neither may move its field in the response.
    knowledge = await startTestServer((request, response) => {
      const id = request.url.split('/').pop()!;
      if (id === 'c-gone') return json(response, 404, { code: 'not_found', message: 'No such context' });
      setTimeout(() => json(response, 200, { id, name: `Context ${id}` }), id === 'c-slow' ? 80 : 0);
    });
    ordered = await startTestGateway({ KNOWLEDGE_URL: knowledge.url });
  });
  afterAll(async () => {
    await ordered.stop(0);
    await knowledge.close();
  });

  it('writes fields in the order the query asked for them, not the order they resolved in', async () => {
    const reply = await ordered.graphql('{ slow: context(id: "c-slow") { name id } gone: context(id: "c-gone") { id } fast: context(id: "c-fast") { id name } __typename }');
    expect(Object.keys(reply.body.data!)).toEqual(['slow', 'gone', 'fast', '__typename']);
    expect(Object.keys(reply.body.data!['slow'])).toEqual(['name', 'id']);
    expect(reply.body.data!['fast']).toEqual({ id: 'c-fast', name: 'Context c-fast' });
    expect(errorAt(reply, ['gone']).extensions.code).toBe('NOT_FOUND');
  });
});
