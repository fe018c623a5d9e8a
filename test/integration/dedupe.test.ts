/**
 * Dedupe and concurrency within one GraphQL request, counted on real loopback upstreams: the
 * same GET goes out once, and independent calls are in flight together.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, serviceNames, type ServiceName } from '../../src/config.js';
import { startDemoUpstreams } from '../../src/demo/index.js';
import { createGateway } from '../../src/server.js';
import { createUndiciTransport } from '../../src/upstream/undici-transport.js';
import { json } from '../support/http-server.js';
import { createRecordingLogger } from '../support/recording-logger.js';
import { useTestResources } from '../support/resources.js';

const use = useTestResources();

/** The fan-out query of the README: every project with its owner and sessions. */
const fanOutQuery = '{ projects { id name owner { name } sessions { title } } }';

/** Runs `query` once through a gateway over fresh demo services; returns the calls each service received. */
async function callsPerService(query: string, dedupe: boolean): Promise<Record<ServiceName, number>> {
  const demo = await startDemoUpstreams();
  const transport = createUndiciTransport();
  use.onClose(() => demo.close());
  use.onClose(() => transport.close());
  const upstreamUrls = Object.fromEntries(serviceNames.map((name) => [name, demo.services[name]!.url])) as Record<ServiceName, string>;
  const config = parseConfig({ RATE_LIMIT_OPERATIONS: 'off' });
  const inProcess = createGateway({ config, upstreamUrls, transport, logger: createRecordingLogger(), clientOptions: { dedupe } });
  const response = await inProcess.fetch(
    new Request('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' },
      body: JSON.stringify({ query }),
    }),
  );
  const body = (await response.json()) as { data: { projects: unknown[] } };
  expect(body.data.projects).toHaveLength(5);
  return Object.fromEntries(serviceNames.map((name) => [name, demo.services[name]!.requests.length])) as Record<ServiceName, number>;
}

describe('dedupe within a request', () => {
  it('projects { owner { name } } over 20 projects with 5 distinct owners makes 5 directory calls', async () => {
    const projects = await use.server((_request, response) =>
      json(response, 200, Array.from({ length: 20 }, (_, i) => ({ id: `p-${i}`, name: `Project ${i}`, ownerId: `u-${i % 5}` }))),
    );
    const directory = await use.server((request, response) => json(response, 200, { id: request.url.split('/').pop(), name: `Name of ${request.url.split('/').pop()}` }));
    const gateway = await use.gateway({ PROJECTS_URL: projects.url, DIRECTORY_URL: directory.url });
    const reply = await gateway.graphql('{ projects { owner { name } } }');
    expect(reply.body.errors).toBeUndefined();
    expect(reply.body.data!['projects']).toHaveLength(20);
    expect(reply.body.data!['projects'][7]).toEqual({ owner: { name: 'Name of u-2' } });
    expect(projects.requests).toHaveLength(1);
    expect(directory.requests.map((request) => request.url).sort()).toEqual(['/api/v1/users/u-0', '/api/v1/users/u-1', '/api/v1/users/u-2', '/api/v1/users/u-3', '/api/v1/users/u-4']);

    // Dedupe is per request: the next request calls again.
    await gateway.graphql('{ projects { owner { name } } }');
    expect(directory.requests).toHaveLength(10);
  });

  it('the fan-out query: fewer directory calls with dedupe than without', async () => {
    const without = await callsPerService(fanOutQuery, false);
    const withDedupe = await callsPerService(fanOutQuery, true);
    // Five projects, owners u-1, u-2, u-9, u-1, u-2: five owner calls without dedupe, three with.
    expect(without.directory).toBe(5);
    expect(withDedupe.directory).toBe(3);
    expect(withDedupe.projects).toBe(without.projects);
    console.info(`fan-out query upstream calls — without dedupe: ${JSON.stringify(without)}; with dedupe: ${JSON.stringify(withDedupe)}`);
  });

  it('reads again after a write in the same mutation: a GET from before it is not reused', async () => {
    const facts: Array<{ id: string; text: string }> = [];
    const knowledge = await use.server((request, response) => {
      if (request.method === 'POST' && request.url === '/api/v1/contexts') return json(response, 201, { id: 'c-1', name: 'Notes' });
      if (request.method === 'POST') {
        facts.push({ id: `f-${facts.length + 1}`, text: (JSON.parse(request.body) as { text: string }).text });
        return json(response, 201, facts.at(-1));
      }
      json(response, 200, facts.slice());
    });
    const gateway = await use.gateway({ KNOWLEDGE_URL: knowledge.url, RATE_LIMIT_KNOWLEDGE: 'off' });
    const reply = await gateway.graphql(`mutation {
      before: createContext(id: "c-1", name: "Notes") { knowledge(query: "x") { id } }
      write: rememberFact(contextId: "c-1", text: "new fact", idempotencyKey: "k-1") { id }
      after: createContext(id: "c-1", name: "Notes") { knowledge(query: "x") { id } }
    }`);
    expect(reply.body).toEqual({ data: { before: { knowledge: [] }, write: { id: 'f-1' }, after: { knowledge: [{ id: 'f-1' }] } } });
    expect(knowledge.requests.filter((request) => request.method === 'GET')).toHaveLength(2);
  });

  it('two slow upstream calls of one request are in flight together', async () => {
    const events: string[] = [];
    const held: Array<() => void> = [];
    const directory = await use.server((request, response) => {
      events.push(`arrived ${request.url}`);
      held.push(() => {
        events.push(`answered ${request.url}`);
        json(response, 200, { id: 'u', name: request.url });
      });
      // Answer only once both calls are here (or after 3 s, so a one-after-the-other gateway still finishes and fails the test).
      if (held.length === 2) held.splice(0).forEach((answer) => answer());
      else setTimeout(() => held.splice(0).forEach((answer) => answer()), 3000).unref();
    });
    const gateway = await use.gateway({ DIRECTORY_URL: directory.url });
    const reply = await gateway.graphql('{ a: user(id: "u-1") { name } b: user(id: "u-2") { name } }');
    expect(reply.body.errors).toBeUndefined();
    expect(events.slice(0, 2).every((event) => event.startsWith('arrived'))).toBe(true);
    expect(events).toHaveLength(4);
  });
});
