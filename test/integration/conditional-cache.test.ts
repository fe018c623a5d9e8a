/**
 * Conditional GETs and connection reuse, seen from the upstream: a second identical query sends
 * `If-None-Match` and is served from a 304; a credential never gets a body cached for another;
 * repeated queries travel over the same keep-alive connection, never more of them than allowed.
 */
import { describe, expect, it } from 'vitest';
import { errorAt, expectStillServing, type TestGateway } from '../support/gateway.js';
import { json } from '../support/http-server.js';
import { useTestResources } from '../support/resources.js';

const use = useTestResources();

describe('conditional caching', () => {
  it('the second identical query sends If-None-Match and is served from the 304', async () => {
    const answers: number[] = [];
    const upstream = await use.server((request, response) => {
      if (request.headers['if-none-match'] === '"v1"') {
        answers.push(304);
        response.writeHead(304, { etag: '"v1"' });
        return response.end();
      }
      answers.push(200);
      json(response, 200, { id: 'u-1', name: 'Ada' }, { etag: '"v1"' });
    });
    const gateway = await use.gateway({ DIRECTORY_URL: upstream.url });
    const first = await gateway.graphql('{ user(id: "u-1") { name } }');
    const second = await gateway.graphql('{ user(id: "u-1") { name } }');
    expect(first.body).toEqual({ data: { user: { name: 'Ada' } } });
    expect(second.body).toEqual(first.body);
    expect(upstream.requests.map((request) => request.headers['if-none-match'])).toEqual([undefined, '"v1"']);
    expect(answers).toEqual([200, 304]);
  });

  it('against the demo projects service: the second query gets a 304', async () => {
    const gateway = await use.gateway();
    await gateway.graphql('{ project(id: "p-2") { name } }');
    const second = await gateway.graphql('{ project(id: "p-2") { name } }');
    expect(second.body).toEqual({ data: { project: { name: 'Borealis' } } });
    const calls = gateway.demo!.services.projects!.requests.filter((request) => request.path === '/api/v1/projects/p-2');
    expect(calls).toHaveLength(2);
    expect(calls[0]!.headers['if-none-match']).toBeUndefined();
    expect(calls[1]!.headers['if-none-match']).toMatch(/^(W\/)?".+"$/);
  });

  it("one call's If-None-Match goes on that call alone, not on the request's other calls", async () => {
    const upstream = await use.server((request, response) => {
      if (request.url === '/api/v1/users/u-1') {
        if (request.headers['if-none-match'] === '"v1"') {
          response.writeHead(304, { etag: '"v1"' });
          return response.end();
        }
        return json(response, 200, { id: 'u-1', name: 'Ada' }, { etag: '"v1"' });
      }
      json(response, 200, { id: 'u-2', name: 'Grace' });
    });
    const gateway = await use.gateway({ DIRECTORY_URL: upstream.url });
    await gateway.graphql('{ user(id: "u-1") { name } }');
    const both = await gateway.graphql('{ a: user(id: "u-1") { name } b: user(id: "u-2") { name } c: user(id: "u-3") { name } }');
    expect(both.body).toEqual({ data: { a: { name: 'Ada' }, b: { name: 'Grace' }, c: { name: 'Grace' } } });
    const second = upstream.requests.slice(1).map((request) => [request.url, request.headers['if-none-match'], request.headers['x-request-id']]);
    expect(second.map(([url, validator]) => [url, validator]).sort()).toEqual([
      ['/api/v1/users/u-1', '"v1"'],
      ['/api/v1/users/u-2', undefined],
      ['/api/v1/users/u-3', undefined],
    ]);
    // Every call of one request carries that request's id.
    expect(new Set(second.map(([, , id]) => id)).size).toBe(1);
  });

  it("a credential never sees a body cached for another, even when the upstream's ETag ignores the credential", async () => {
    const upstream = await use.server((request, response) => {
      // A careless upstream: one ETag for everyone, though the body depends on the caller.
      if (request.headers['if-none-match'] === '"same"') {
        response.writeHead(304, { etag: '"same"' });
        return response.end();
      }
      json(response, 200, { id: 'u-1', name: `seen by ${request.headers.authorization}` }, { etag: '"same"' });
    });
    const gateway = await use.gateway({ DIRECTORY_URL: upstream.url });
    const alice = await gateway.graphql('{ user(id: "u-1") { name } }', { authorization: 'Bearer alice' });
    const bob = await gateway.graphql('{ user(id: "u-1") { name } }', { authorization: 'Bearer bob' });
    const aliceAgain = await gateway.graphql('{ user(id: "u-1") { name } }', { authorization: 'Bearer alice' });
    expect(alice.body.data).toEqual({ user: { name: 'seen by Bearer alice' } });
    expect(bob.body.data).toEqual({ user: { name: 'seen by Bearer bob' } });
    expect(aliceAgain.body.data).toEqual({ user: { name: 'seen by Bearer alice' } });
    expect(upstream.requests.map((request) => [request.headers.authorization, request.headers['if-none-match']])).toEqual([
      ['Bearer alice', undefined],
      ['Bearer bob', undefined],
      ['Bearer alice', '"same"'],
    ]);
  });

  it('a newer answer without an ETag forgets the body kept: the old one never comes back from a 304', async () => {
    const answers = [
      (response: Parameters<typeof json>[0]) => json(response, 200, { id: 'u-1', name: 'v1' }, { etag: '"v1"' }),
      (response: Parameters<typeof json>[0]) => json(response, 200, { id: 'u-1', name: 'v2' }),
      (response: Parameters<typeof json>[0]) => {
        response.writeHead(304, { etag: '"v1"' });
        response.end();
      },
    ];
    let served = 0;
    const upstream = await use.server((_request, response) => answers[Math.min(served++, answers.length - 1)]!(response));
    const gateway = await use.gateway({ DIRECTORY_URL: upstream.url });
    const names = [];
    for (let i = 0; i < 3; i++) names.push((await gateway.graphql('{ user(id: "u-1") { name } }')).body.data);
    expect(upstream.requests.map((request) => request.headers['if-none-match'])).toEqual([undefined, '"v1"', undefined]);
    // The third call asked unconditionally: its 304 is an answer to no question.
    expect(names).toEqual([{ user: { name: 'v1' } }, { user: { name: 'v2' } }, { user: null }]);
  });

  it('a response without an ETag is not cached: the next query asks unconditionally', async () => {
    const upstream = await use.server((_request, response) => json(response, 200, { id: 'u-1', name: 'Ada' }));
    const gateway = await use.gateway({ DIRECTORY_URL: upstream.url });
    await gateway.graphql('{ user(id: "u-1") { name } }');
    await gateway.graphql('{ user(id: "u-1") { name } }');
    expect(upstream.requests.map((request) => request.headers['if-none-match'])).toEqual([undefined, undefined]);
  });
});

describe('connection reuse', () => {
  /** A directory service answering each user after 20 ms, so that one query's calls overlap. */
  const slowDirectory = () => use.server((_request, response) => setTimeout(() => json(response, 200, { id: 'u-1', name: 'Ada' }), 20));
  /** `rounds` queries one after another, each asking for 8 users at once. */
  const sendEightUsers = async (gateway: TestGateway, rounds: number) => {
    const fields = Array.from({ length: 8 }, (_, i) => `u${i}: user(id: "u-${i}") { name }`).join(' ');
    for (let round = 0; round < rounds; round++) {
      const reply = await gateway.graphql(`{ ${fields} }`);
      expect(reply.body.errors).toBeUndefined();
    }
  };

  it('keeps bodies within a byte budget, whatever credentials callers invent', async () => {
    // 20 bodies of 450,000 characters (900 kB as counted, two bytes a character), each with an
    // ETag, are more than the 16 MiB a service keeps: the least recently used go. A body over
    // 1 MiB as counted (a sixteenth of the budget) is never kept.
    const name = (id: string) => (id === 'huge' ? 'x'.repeat(600_000) : id.padEnd(450_000, '.'));
    const upstream = await use.server((request, response) => {
      const id = request.url!.split('/').pop()!;
      if (request.headers['if-none-match'] === `"${id}"`) {
        response.writeHead(304, { etag: `"${id}"` });
        return response.end();
      }
      json(response, 200, { id, name: name(id) }, { etag: `"${id}"` });
    });
    const gateway = await use.gateway({ DIRECTORY_URL: upstream.url });
    const ask = async (id: string) => {
      const reply = await gateway.graphql(`{ user(id: "${id}") { id } }`, { headers: { authorization: `Bearer key-${id}` } });
      expect(reply.body).toEqual({ data: { user: { id } } });
    };
    for (let i = 0; i < 20; i++) await ask(`u-${i}`);
    await ask('huge');
    const sent = upstream.requests.length;
    for (const id of ['u-0', 'u-19', 'huge']) await ask(id);
    const revalidated = upstream.requests.slice(sent).map((request) => request.headers['if-none-match']);
    expect(revalidated).toEqual([undefined, '"u-19"', undefined]);
  });

  it('does not keep a body the schema refused: the next query asks unconditionally again', async () => {
    const upstream = await use.server((_request, response) => json(response, 200, { id: 'u-1', name: 42 }, { etag: '"bad"' }));
    const gateway = await use.gateway({ DIRECTORY_URL: upstream.url });
    for (let i = 0; i < 2; i++) {
      const reply = await gateway.graphql('{ user(id: "u-1") { name } }');
      expect(errorAt(reply, ['user']).extensions).toMatchObject({ code: 'BAD_GATEWAY' });
    }
    expect(upstream.requests.map((request) => request.headers['if-none-match'])).toEqual([undefined, undefined]);
  });

  it('repeated queries reuse one keep-alive connection to the upstream', async () => {
    const upstream = await use.server((_request, response) => json(response, 200, { id: 'u-1', name: 'Ada' }));
    const gateway = await use.gateway({ DIRECTORY_URL: upstream.url });
    for (let i = 0; i < 20; i++) {
      const reply = await gateway.graphql(`{ user(id: "u-${i}") { name } }`);
      expect(reply.body.errors).toBeUndefined();
    }
    expect(upstream.requests).toHaveLength(20);
    expect(upstream.connections()).toBe(1);
    await expectStillServing(gateway);
  });

  it('concurrent calls open several connections, then keep reusing them', async () => {
    const upstream = await slowDirectory();
    await sendEightUsers(await use.gateway({ DIRECTORY_URL: upstream.url }), 5);
    expect(upstream.requests).toHaveLength(40);
    expect(upstream.connections()).toBeGreaterThan(1);
    expect(upstream.connections()).toBeLessThanOrEqual(8);
  });

  it('UPSTREAM_CONNECTIONS caps the connections to one upstream origin', async () => {
    const upstream = await slowDirectory();
    await sendEightUsers(await use.gateway({ DIRECTORY_URL: upstream.url, UPSTREAM_CONNECTIONS: '2' }), 3);
    expect(upstream.requests).toHaveLength(24);
    expect(upstream.connections()).toBe(2);
  });
});
