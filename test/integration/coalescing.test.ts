/**
 * Request coalescing, over real loopback upstreams that hold their answers: a GET in flight for
 * one GraphQL request is shared with a concurrent request that has the same credential, and with
 * no other; never across a write; and a shared call its first caller gave up is sent again.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { errorAt, postLeavable, type GraphQLReply, type TestGateway } from '../support/gateway.js';
import { json, waitUntil, type RecordedRequest } from '../support/http-server.js';
import { useTestResources } from '../support/resources.js';

const use = useTestResources();

const projectQuery = '{ project(id: "p-1") { id name } }';
const contextQuery = '{ context(id: "c-1") { name } }';

/**
 * An upstream that holds every GET until `release()`, then answers it with `answer` (told the
 * GET's place in the order of arrival, from 0). Writes are answered at once: 201 with a fact.
 */
async function holdingUpstream(answer: (request: RecordedRequest, response: ServerResponse, arrival: number) => void) {
  const held: Array<() => void> = [];
  const server = await use.server((request, response) => {
    if (request.method !== 'GET') {
      return json(response, 201, { id: 'f-1', text: 'remembered' });
    }
    const arrival = server.requests.filter((recorded) => recorded.method === 'GET').length - 1;
    held.push(() => answer(request, response, arrival));
  });
  const gets = () => server.requests.filter((request) => request.method === 'GET');
  return {
    server,
    gets,
    /** Answers every GET held so far. */
    release: () => held.splice(0).forEach((send) => send()),
    /** Waits until `count` GETs have arrived. */
    arrived: (count: number) => waitUntil(() => gets().length >= count, `${count} upstream GET(s) to arrive`),
  };
}

/** GETs the gateway has joined instead of sending, summed over services, from `/metrics`. */
async function joinedCalls(gateway: TestGateway): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  return [...text.matchAll(/^conflux_upstream_coalesced_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/**
 * Sends `second` while `first`'s upstream call is held, waits until `second` has either joined
 * that call or sent its own, and only then lets the upstream answer.
 */
async function overlapping(gateway: TestGateway, upstream: Awaited<ReturnType<typeof holdingUpstream>>, first: () => Promise<GraphQLReply>, second: () => Promise<GraphQLReply>) {
  const one = first();
  await upstream.arrived(1);
  const two = second();
  await waitUntil(async () => upstream.gets().length >= 2 || (await joinedCalls(gateway)) >= 1, 'the second request to join or to send its own call');
  upstream.release();
  // A second call, if any, is held as well: answer it too.
  const replies = Promise.all([one, two]);
  const releasing = setInterval(() => upstream.release(), 20);
  try {
    return await replies;
  } finally {
    clearInterval(releasing);
  }
}

/**
 * A first request that its caller can leave (`leaving.abort()`), and a second one that has joined
 * its upstream call, over a gateway with a minute for every call.
 */
async function leavingFirstAndJoined(upstream: Awaited<ReturnType<typeof holdingUpstream>>) {
  const gateway = await use.gateway({ PROJECTS_URL: upstream.server.url, UPSTREAM_TIMEOUT_MS: '60000', REQUEST_DEADLINE_MS: '60000' });
  const { leaving, reply: first } = postLeavable(gateway.url, projectQuery);
  await upstream.arrived(1);
  const joined = gateway.graphql(projectQuery);
  await waitUntil(async () => (await joinedCalls(gateway)) >= 1, 'the second request to join the call of the first');
  return { gateway, leaving, first, joined };
}

describe('request coalescing', () => {
  it('two concurrent requests with one credential share one upstream GET; each keeps its own request id', async () => {
    const upstream = await holdingUpstream((_request, response) => json(response, 200, { id: 'p-1', name: 'Shared' }));
    const gateway = await use.gateway({ PROJECTS_URL: upstream.server.url });
    const asked = (requestId: string) => () => gateway.graphql(projectQuery, { headers: { 'x-request-id': requestId } });
    const [a, b] = await overlapping(gateway, upstream, asked('coalesce-one'), asked('coalesce-two'));
    expect(a.body).toEqual({ data: { project: { id: 'p-1', name: 'Shared' } } });
    expect(b.body).toEqual({ data: { project: { id: 'p-1', name: 'Shared' } } });
    expect(upstream.gets()).toHaveLength(1);
    expect(a.headers.get('x-request-id')).toBe('coalesce-one');
    expect(b.headers.get('x-request-id')).toBe('coalesce-two');
    // The one call carries the first request's id; the second request's log line names it, so
    // the upstream's record of the call that answered it can be found.
    expect(upstream.gets()[0]!.headers['x-request-id']).toBe('coalesce-one');
    const lineOf = (requestId: string) => gateway.logger.entries.find((entry) => entry.message === 'request' && entry.fields['requestId'] === requestId);
    await waitUntil(() => lineOf('coalesce-two') !== undefined, 'the request line of the joined request');
    expect(lineOf('coalesce-two')!.fields['joinedRequestIds']).toEqual(['coalesce-one']);
    expect(lineOf('coalesce-one')!.fields['joinedRequestIds']).toBeUndefined();
    // Operators see it: one GET joined instead of sent.
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/^conflux_upstream_coalesced_total\{service="projects"\} 1$/m);
  });

  it('shares a failure too: both get NOT_FOUND at their field, each with its own request id', async () => {
    const upstream = await holdingUpstream((request, response) => {
      response.writeHead(404, { 'content-type': 'application/problem+json' });
      response.end(JSON.stringify({ type: 'https://problems.example/not-found', title: 'Not Found', status: 404, detail: 'Project p-1 not found', instance: request.url }));
    });
    const gateway = await use.gateway({ PROJECTS_URL: upstream.server.url });
    const replies = await overlapping(gateway, upstream, () => gateway.graphql(projectQuery), () => gateway.graphql(projectQuery));
    expect(upstream.gets()).toHaveLength(1);
    for (const reply of replies) {
      expect(reply.body.data).toEqual({ project: null });
      const error = errorAt(reply, ['project']);
      expect(error.extensions['code']).toBe('NOT_FOUND');
      expect(error.extensions['requestId']).toBe(reply.headers.get('x-request-id'));
    }
  });

  it("logs a shared failure's withheld detail under each request's id", async () => {
    const upstream = await holdingUpstream((_request, response) => {
      response.writeHead(500, { 'content-type': 'application/problem+json' });
      response.end(JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'db timeout, request 7f3a' }));
    });
    const gateway = await use.gateway({ PROJECTS_URL: upstream.server.url, UPSTREAM_TIMEOUT_MS: '60000' });
    // A 500 is retried: each attempt is shared, so three upstream calls answer both requests.
    const replies = await overlapping(gateway, upstream, () => gateway.graphql(projectQuery), () => gateway.graphql(projectQuery));
    expect(upstream.gets()).toHaveLength(3);
    for (const reply of replies) {
      expect(errorAt(reply, ['project']).extensions['code']).toBe('UPSTREAM_ERROR');
      const requestId = reply.headers.get('x-request-id');
      const withheld = gateway.logger.entries.filter((entry) => entry.message === 'upstream error detail withheld' && entry.fields['requestId'] === requestId);
      expect(withheld).toHaveLength(1);
      expect(JSON.stringify(withheld[0]!.fields)).toContain('db timeout, request 7f3a');
    }
  });

  it('never shares between credentials', async () => {
    const upstream = await holdingUpstream((request, response) => json(response, 200, { id: 'p-1', name: `for ${request.headers.authorization}` }));
    const gateway = await use.gateway({ PROJECTS_URL: upstream.server.url });
    const [a, b] = await overlapping(gateway, upstream, () => gateway.graphql(projectQuery), () => gateway.graphql(projectQuery, { authorization: 'Bearer someone-else' }));
    expect(upstream.gets()).toHaveLength(2);
    expect(a.body.data).toEqual({ project: { id: 'p-1', name: 'for Bearer demo-admin' } });
    expect(b.body.data).toEqual({ project: { id: 'p-1', name: 'for Bearer someone-else' } });
  });

  it('never shares a GET sent before a write to the same service: the later request reads after the write', async () => {
    // The GET that arrived first answers as things stood before the write; any later one, after.
    const upstream = await holdingUpstream((_request, response, arrival) => json(response, 200, { id: 'c-1', name: arrival === 0 ? 'before' : 'after' }));
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.server.url });
    const before = gateway.graphql(contextQuery);
    await upstream.arrived(1);
    const written = await gateway.graphql('mutation { rememberFact(contextId: "c-1", text: "remembered") { id } }');
    expect(written.body).toEqual({ data: { rememberFact: { id: 'f-1' } } });
    const after = gateway.graphql(contextQuery);
    await upstream.arrived(2);
    upstream.release();
    expect((await before).body.data).toEqual({ context: { name: 'before' } });
    expect((await after).body.data).toEqual({ context: { name: 'after' } });
    expect(upstream.gets()).toHaveLength(2);
  });

  it("sends the call again for a joined request when the first caller leaves, and the joined one still gets data", async () => {
    const upstream = await holdingUpstream((_request, response) => json(response, 200, { id: 'p-1', name: 'Second call' }));
    const { leaving, first, joined } = await leavingFirstAndJoined(upstream);
    expect(upstream.gets()).toHaveLength(1);
    leaving.abort();
    expect(await first).toMatchObject({ name: 'AbortError' });
    await upstream.arrived(2);
    upstream.release();
    expect((await joined).body).toEqual({ data: { project: { id: 'p-1', name: 'Second call' } } });
  });

  it('makes the retry the first caller left during, for a joined request, once its wait is over', async () => {
    // The first answer is a 500 (retried after about 250 ms); the first caller leaves during that wait.
    const upstream = await holdingUpstream((_request, response, arrival) =>
      arrival === 0 ? json(response, 500, { code: 'internal', message: 'try again' }) : json(response, 200, { id: 'p-1', name: 'After the retry' }),
    );
    const { leaving, first, joined } = await leavingFirstAndJoined(upstream);
    upstream.release();
    await new Promise((resolve) => setTimeout(resolve, 60));
    leaving.abort();
    expect(await first).toMatchObject({ name: 'AbortError' });
    await upstream.arrived(2);
    upstream.release();
    expect((await joined).body).toEqual({ data: { project: { id: 'p-1', name: 'After the retry' } } });
    expect(upstream.gets()).toHaveLength(2);
  });

  it('makes that retry once for all the requests joined to the call, and within the 3 attempts of the policy', async () => {
    const upstream = await holdingUpstream((_request, response) => json(response, 500, { code: 'internal', message: 'down' }));
    const { gateway, leaving, first, joined } = await leavingFirstAndJoined(upstream);
    const more = [gateway.graphql(projectQuery), gateway.graphql(projectQuery)];
    await waitUntil(async () => (await joinedCalls(gateway)) >= 3, 'three requests joined to the call of the first');
    upstream.release();
    await new Promise((resolve) => setTimeout(resolve, 60));
    leaving.abort();
    await first;
    const releasing = setInterval(() => upstream.release(), 20);
    try {
      for (const reply of await Promise.all([joined, ...more])) expect(errorAt(reply, ['project']).extensions).toMatchObject({ code: 'UPSTREAM_ERROR' });
    } finally {
      clearInterval(releasing);
    }
    // The first caller's attempt, then attempts 2 and 3 once for the three joined requests.
    expect(upstream.gets()).toHaveLength(3);
  });

  it('answers a joined request waiting to make that retry with the failure when the gateway stops', async () => {
    // A 503 asking for 30 s; the first caller leaves; the joined one would wait, but the gateway stops.
    const upstream = await holdingUpstream((_request, response) => json(response, 503, { code: 'unavailable', message: 'busy' }, { 'retry-after': '30' }));
    const { gateway, leaving, first, joined } = await leavingFirstAndJoined(upstream);
    upstream.release();
    await new Promise((resolve) => setTimeout(resolve, 60));
    leaving.abort();
    await first;
    const stopping = gateway.stop(1000);
    const reply = await joined;
    expect(errorAt(reply, ['project']).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: 30 });
    await stopping;
    expect(upstream.gets()).toHaveLength(1);
  });

  it("makes the retry that would have passed the first caller's deadline, for a joined request with time left", async () => {
    // The first caller's deadline (2 s) comes before the Retry-After of the 503 it gets at about
    // 1.2 s; the joined request came 0.6 s later and has until about 2.6 s.
    const upstream = await holdingUpstream((_request, response, arrival) =>
      arrival === 0 ? json(response, 503, { code: 'unavailable', message: 'busy' }, { 'retry-after': '1' }) : json(response, 200, { id: 'p-1', name: 'After Retry-After' }),
    );
    const gateway = await use.gateway({ PROJECTS_URL: upstream.server.url, REQUEST_DEADLINE_MS: '2000' });
    const first = gateway.graphql(projectQuery);
    await upstream.arrived(1);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const joined = gateway.graphql(projectQuery);
    await waitUntil(async () => (await joinedCalls(gateway)) >= 1, 'the second request to join the call of the first');
    await new Promise((resolve) => setTimeout(resolve, 600));
    upstream.release();
    expect(errorAt(await first, ['project']).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: 1 });
    await upstream.arrived(2);
    upstream.release();
    expect((await joined).body).toEqual({ data: { project: { id: 'p-1', name: 'After Retry-After' } } });
  });

  it('under a bounded burst of 300 requests from 3 credentials, some leaving early, every answer is its own credential\'s', { timeout: 60_000 }, async () => {
    // Each GET is answered after 0–30 ms with the credential it carried; one id in five fails with 404.
    const upstream = await use.server((request, response) => {
      const id = request.url.split('/').pop()!;
      setTimeout(() => {
        if (id.endsWith('4')) {
          response.writeHead(404, { 'content-type': 'application/problem+json' });
          return void response.end(JSON.stringify({ type: 'https://problems.example/not-found', title: 'Not Found', status: 404, detail: `Project ${id} not found` }));
        }
        json(response, 200, { id, name: `${id} for ${request.headers.authorization}` });
      }, Math.floor(Math.random() * 30));
    });
    const gateway = await use.gateway({ PROJECTS_URL: upstream.url });
    const keys = ['Bearer key-a', 'Bearer key-b', 'Bearer key-c'];
    const outcomes = await Promise.all(
      Array.from({ length: 300 }, async (_, index) => {
        const key = keys[index % 3]!;
        const ids = [`p-${index % 5}`, `p-${(index + 1) % 5}`];
        const query = `{ a: project(id: "${ids[0]}") { id name } b: project(id: "${ids[1]}") { id name } }`;
        // One request in ten leaves after 5 ms: whoever joined its calls must still be answered.
        const leaving = index % 10 === 0 ? AbortSignal.timeout(5) : undefined;
        const reply = await fetch(`${gateway.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: key },
          body: JSON.stringify({ query }),
          ...(leaving ? { signal: leaving } : {}),
        }).then(
          async (response) => (await response.json()) as GraphQLReply['body'],
          (error: unknown) => error,
        );
        return { key, ids, reply, leaving: leaving !== undefined };
      }),
    );
    for (const { key, ids, reply, leaving } of outcomes) {
      if (leaving && reply instanceof Error) continue;
      const body = reply as GraphQLReply['body'];
      ids.forEach((id, field) => {
        const alias = field === 0 ? 'a' : 'b';
        if (id.endsWith('4')) {
          expect(body.data![alias]).toBeNull();
          expect(body.errors!.find((error) => error.path?.[0] === alias)!.extensions['code']).toBe('NOT_FOUND');
        } else {
          expect(body.data![alias]).toEqual({ id, name: `${id} for ${key}` });
        }
      });
    }
    // Every request was answered or left, and calls were shared: fewer than the 600 fields asked.
    expect(outcomes.filter((outcome) => !outcome.leaving).every((outcome) => !(outcome.reply instanceof Error))).toBe(true);
    expect(upstream.requests.length).toBeLessThan(600);
    expect((await gateway.graphql('{ project(id: "p-1") { name } }')).body).toEqual({ data: { project: { name: 'p-1 for Bearer demo-admin' } } });
  });

  it('UPSTREAM_COALESCE=false sends every request its own call', async () => {
    const upstream = await holdingUpstream((_request, response) => json(response, 200, { id: 'p-1', name: 'Own' }));
    const gateway = await use.gateway({ PROJECTS_URL: upstream.server.url, UPSTREAM_COALESCE: 'false' });
    const [a, b] = await overlapping(gateway, upstream, () => gateway.graphql(projectQuery), () => gateway.graphql(projectQuery));
    expect(upstream.gets()).toHaveLength(2);
    expect(a.body.data).toEqual(b.body.data);
  });
});
