/**
 * The retry link in a real Apollo Client against the real gateway. Upstreams that count their
 * calls stand in for `directory` or `workspaces`; they answer 200 with a body that is not what
 * was promised (BAD_GATEWAY), which the gateway does not
 * retry itself (ERRORS.md §6), so every extra call counted is one the link made.
 */
import { ApolloClient, ApolloLink, InMemoryCache, gql } from '@apollo/client';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, NotFoundError, RateLimitError, ServerError, createRetryLink, toConfluxError, toConfluxErrors } from '../../src/client/index.js';
import { createTestApolloClient } from '../support/apollo.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { json, startTestServer, type RecordedRequest, type TestServer } from '../support/http-server.js';

const fastRetries = { delaysMs: [20, 40, 80] };
const userQuery = gql`query User { user(id: "u-1") { name } }`;
const opened: Array<{ stop?: (graceMs: number) => Promise<void>; close?: () => Promise<void> }> = [];

afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await (thing.stop ? thing.stop(0) : thing.close!());
});

async function gatewayWith(env: Record<string, string>): Promise<TestGateway> {
  const gateway = await startTestGateway(env);
  opened.push(gateway);
  return gateway;
}

/** An upstream answering `answers[n]` to its n-th call (the last one repeats). */
async function scriptedUpstream(answers: Array<(response: Parameters<typeof json>[0]) => void>): Promise<TestServer> {
  const server = await startTestServer((_request, response) => answers[Math.min(server.requests.length, answers.length) - 1]!(response));
  opened.push(server);
  return server;
}

/** Passes a request on to the gateway with the demo credential, and its answer back. */
function forward(request: RecordedRequest, response: Parameters<typeof json>[0], gateway: TestGateway): void {
  void fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' }, body: request.body })
    .then(async (answer) => json(response, answer.status, await answer.json()));
}

const unusable = (response: Parameters<typeof json>[0]) => json(response, 200, { unexpected: 'shape' });
const notImplemented = (response: Parameters<typeof json>[0]) => json(response, 501, { code: 'not_implemented', message: 'try later' });
const ada = (response: Parameters<typeof json>[0]) => json(response, 200, { id: 'u-1', name: 'Ada Lovelace' });

describe('the retry link', () => {
  it('recovers a query from an upstream that fails twice and then answers', async () => {
    const directory = await scriptedUpstream([unusable, unusable, ada]);
    const gateway = await gatewayWith({ DIRECTORY_URL: directory.url });
    const client = createTestApolloClient(gateway.url, { retry: fastRetries });
    const result = await client.query({ query: userQuery, errorPolicy: 'all' });
    expect(result.error).toBeUndefined();
    expect(result.data).toMatchObject({ user: { name: 'Ada Lovelace' } });
    expect(directory.requests).toHaveLength(3);
  });

  it('stops after 3 attempts and hands over the last partial data and its error', async () => {
    const directory = await scriptedUpstream([unusable]);
    const gateway = await gatewayWith({ DIRECTORY_URL: directory.url });
    const client = createTestApolloClient(gateway.url, { retry: fastRetries });
    const result = await client.query({ query: gql`query Both { user(id: "u-1") { name } workspace(id: "w-1") { name } }`, errorPolicy: 'all' });
    expect(result.data).toMatchObject({ user: null, workspace: { name: 'Core' } });
    const error = toConfluxError(result.error);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ code: 'BAD_GATEWAY', path: ['user'], upstream: { service: 'directory', status: 200 } });
    expect(directory.requests).toHaveLength(3);
  });

  it("hands over at once Conflux's UPSTREAM_ERROR for an upstream's 501, which would come again the same", async () => {
    const directory = await scriptedUpstream([notImplemented]);
    const gateway = await gatewayWith({ DIRECTORY_URL: directory.url });
    const client = createTestApolloClient(gateway.url, { retry: fastRetries });
    const result = await client.query({ query: userQuery, errorPolicy: 'all' });
    expect(toConfluxError(result.error)).toMatchObject({ code: 'UPSTREAM_ERROR', status: 500, upstream: { service: 'directory', status: 501 } });
    expect(directory.requests).toHaveLength(1);
  });

  it('never retries a mutation', async () => {
    const workspaces = await scriptedUpstream([(response) => json(response, 503, { code: 'unavailable', message: 'try later' }), (response) => json(response, 201, { id: 'syn-9', status: 'running' })]);
    const gateway = await gatewayWith({ WORKSPACES_URL: workspaces.url });
    const client = createTestApolloClient(gateway.url, { retry: fastRetries });
    const result = await client.mutate({ mutation: gql`mutation Start { startSynthesis(workspaceId: "w-1") { id } }`, errorPolicy: 'all' });
    expect(result.data).toEqual({ startSynthesis: null });
    expect(toConfluxError(result.error)).toBeInstanceOf(ServerError);
    expect(workspaces.requests.map((request) => request.method)).toEqual(['POST']);
  });

  it('does not retry RATE_LIMITED and surfaces its retryAfter', async () => {
    const directory = await scriptedUpstream([(response) => json(response, 429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '7' }), ada]);
    const gateway = await gatewayWith({ DIRECTORY_URL: directory.url });
    const client = createTestApolloClient(gateway.url, { retry: fastRetries });
    const result = await client.query({ query: userQuery, errorPolicy: 'all' });
    expect(result.data).toEqual({ user: null });
    const error = toConfluxError(result.error);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 7 });
    expect(directory.requests).toHaveLength(1);
  });

  it('retries a query when the connection to the gateway drops, and never a mutation', async () => {
    const gateway = await gatewayWith({});
    // Drops the first two connections of each operation, then forwards to the gateway.
    const seen = new Map<string, number>();
    const flaky = await startTestServer((request, response, socket) => {
      const name = (JSON.parse(request.body) as { operationName: string }).operationName;
      seen.set(name, (seen.get(name) ?? 0) + 1);
      if (seen.get(name)! <= 2) return void socket.destroy();
      forward(request, response, gateway);
    });
    opened.push(flaky);
    const client = createTestApolloClient(flaky.url, { retry: fastRetries });

    const query = await client.query({ query: gql`query Workspace { workspace(id: "w-1") { name } }` });
    expect(query.data).toMatchObject({ workspace: { name: 'Core' } });
    expect(seen.get('Workspace')).toBe(3);

    const failure = await client.mutate({ mutation: gql`mutation Start { startSynthesis(workspaceId: "w-1") { id } }` }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(toConfluxError(failure)).toBeInstanceOf(ConnectionError);
    expect(seen.get('Start')).toBe(1);
  });

  it('retries a query whose answer is cut off after its headers, and calls that a ConnectionError', async () => {
    // A gateway instance that dies mid-answer, or a load balancer resetting a response: the
    // status line and part of the body arrive, then the connection closes.
    const gateway = await gatewayWith({});
    let calls = 0;
    const cutting = await startTestServer((request, response, socket) => {
      calls++;
      if (calls <= 2 || request.body.includes('Always')) {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
        response.write('{"data":{"works');
        return void setTimeout(() => socket.destroy(), 20);
      }
      forward(request, response, gateway);
    });
    opened.push(cutting);
    const client = createTestApolloClient(cutting.url, { retry: fastRetries });

    const query = await client.query({ query: gql`query Workspace { workspace(id: "w-1") { name } }` });
    expect(query.data).toMatchObject({ workspace: { name: 'Core' } });
    expect(calls).toBe(3);

    const failure = await client.query({ query: gql`query Always { workspace(id: "w-2") { name } }` }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(toConfluxError(failure)).toBeInstanceOf(ConnectionError);
    expect(toConfluxError(failure)).toMatchObject({ code: 'CONNECTION_ERROR' });
    // Three attempts of the second query too: the link retried the cut-off answers.
    expect(calls).toBe(6);
  });

  it('stops when the caller aborts: no attempt is sent after it, and the abort is what the caller gets', async () => {
    // The gateway answers late: the caller gives up first. Apollo's HttpLink gives each attempt
    // a signal of its own, so without the link's check a retry went out and even resolved.
    const late = await startTestServer((_request, response) => void setTimeout(() => json(response, 200, { data: { workspace: { name: 'Core' } } }), 300));
    opened.push(late);
    const client = createTestApolloClient(late.url, { retry: fastRetries });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const outcome = await client.query({ query: gql`query Workspace { workspace(id: "w-1") { name } }`, context: { fetchOptions: { signal: controller.signal } } }).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    expect(outcome).not.toBe('resolved');
    expect(toConfluxError(outcome)).toBeInstanceOf(ConnectionError);
    // Long enough for the retries' waits (20, 40 ms) and a late attempt to have arrived.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(late.requests).toHaveLength(1);
  });

  it('hands over at once a failure whose Retry-After is longer than its longest wait', async () => {
    // A 503 asking for 30 s: longer than the request deadline allows the gateway to wait, and
    // than the link's 80 ms. Retrying sooner than asked would only add load.
    const directory = await scriptedUpstream([(response) => json(response, 503, { error: { code: 'unavailable', message: 'down' } }, { 'retry-after': '30' }), ada]);
    const gateway = await gatewayWith({ DIRECTORY_URL: directory.url, REQUEST_DEADLINE_MS: '5000' });
    const client = createTestApolloClient(gateway.url, { retry: fastRetries });
    const result = await client.query({ query: userQuery, errorPolicy: 'all' });
    expect(toConfluxError(result.error)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: 30 });
    expect(directory.requests).toHaveLength(1);
  });

  it('does not retry a bug in a link below it, and does not call it a connection failure', async () => {
    let calls = 0;
    const broken = new ApolloLink(() => {
      calls++;
      throw new TypeError("Cannot read properties of undefined (reading 'x')");
    });
    const client = new ApolloClient({ link: ApolloLink.from([createRetryLink(fastRetries), broken]), cache: new InMemoryCache() });
    const failure = await client.query({ query: userQuery, fetchPolicy: 'no-cache' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(toConfluxError(failure)).not.toBeInstanceOf(ConnectionError);
    expect(calls).toBe(1);
  });
});

/**
 * Servers that are not Conflux (a proxy, another GraphQL server, a broken deployment) stand in
 * for the gateway: the link's decisions then rest on the HTTP answer alone.
 */
describe('the retry link, against answers that are not from Conflux', () => {
  type Answer = (response: Parameters<typeof json>[0]) => void;
  const raw = (status: number, headers: Record<string, string>, body: string): Answer => (response) => {
    response.writeHead(status, headers);
    response.end(body);
  };
  const graphqlResponse = { 'content-type': 'application/graphql-response+json' };
  const entry = (code: string, more: Record<string, unknown> = {}) => ({ message: code.toLowerCase(), path: ['user'], extensions: { code, ...more } });

  /** A server giving `answer` to every request; the query through a real Apollo Client with the link; how many requests it took. */
  async function ask(answer: Answer, options: { retry?: Parameters<typeof createRetryLink>[0]; signal?: AbortSignal } = {}) {
    const server = await startTestServer((_request, response) => answer(response));
    opened.push(server);
    const client = createTestApolloClient(server.url, { retry: options.retry ?? fastRetries });
    const context = options.signal ? { fetchOptions: { signal: options.signal } } : undefined;
    const result = await client.query({ query: userQuery, errorPolicy: 'all', ...(context ? { context } : {}) }).then(
      (value) => ({ error: value.error as unknown, data: value.data as unknown }),
      (error: unknown) => ({ error, data: undefined }),
    );
    return { ...result, errors: toConfluxErrors(result.error), requests: server.requests.length };
  }

  it('reads every error of an HTTP error body: a RATE_LIMITED among them is handed over at once', async () => {
    const limited = await ask((response) => json(response, 500, { errors: [entry('UPSTREAM_ERROR'), entry('RATE_LIMITED', { retryAfter: 30 })] }));
    expect(limited.requests).toBe(1);
    expect(limited.errors.map((error) => error.code)).toEqual(['UPSTREAM_ERROR', 'RATE_LIMITED']);
    // A server-side code second in the list still calls for a retry.
    const second = await ask((response) => json(response, 500, { errors: [entry('NOT_FOUND'), entry('UPSTREAM_ERROR')] }));
    expect(second.requests).toBe(3);
  });

  it('keeps the HTTP status, Retry-After and request id of a non-2xx answer in application/graphql-response+json', async () => {
    // Apollo's HttpLink hands such an answer on as a plain result, headers unread.
    const limited = await ask(raw(429, { ...graphqlResponse, 'retry-after': '5', 'x-request-id': 'proxy-7' }, JSON.stringify({ errors: [{ message: 'slow', extensions: { code: 'RATE_LIMITED' } }] })));
    expect(limited.errors[0]).toBeInstanceOf(RateLimitError);
    expect(limited.errors[0]).toMatchObject({ status: 429, retryAfter: 5, requestId: 'proxy-7' });
    // A 503 asking for longer than the link's longest wait is handed over at once.
    const unavailable = await ask(raw(503, { ...graphqlResponse, 'retry-after': '5' }, JSON.stringify({ errors: [entry('SERVICE_UNAVAILABLE')] })));
    expect(unavailable).toMatchObject({ requests: 1, errors: [{ code: 'SERVICE_UNAVAILABLE', retryAfter: 5 }] });
    // Errors with no code take the HTTP status's: a 503 is retried as with application/json.
    const codeless = await ask(raw(503, graphqlResponse, JSON.stringify({ errors: [{ message: 'Service Unavailable', path: ['user'] }] })));
    expect(codeless.requests).toBe(3);
    expect(codeless.errors[0]).toBeInstanceOf(ServerError);
    expect(codeless.errors[0]).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
  });

  it('calls a 4xx or 5xx in application/graphql-response+json with no error entry a failure, not a success', async () => {
    const empty = await ask(raw(500, graphqlResponse, JSON.stringify({ data: null })));
    expect(empty).toMatchObject({ requests: 3, data: undefined });
    expect(empty.errors).toEqual([expect.any(ServerError)]);
    expect(empty.errors[0]).toMatchObject({ code: 'UPSTREAM_ERROR', status: 500 });
    const noEntries = await ask(raw(503, { ...graphqlResponse, 'x-request-id': 'proxy-9' }, JSON.stringify({ errors: [], data: { user: { name: 'stale' } } })));
    expect(noEntries).toMatchObject({ requests: 3, errors: [{ code: 'SERVICE_UNAVAILABLE', status: 503, requestId: 'proxy-9' }] });
    const refused = await ask(raw(400, graphqlResponse, JSON.stringify({ data: null })));
    expect(refused).toMatchObject({ requests: 1, errors: [{ code: 'VALIDATION_ERROR', status: 400 }] });
  });

  it('calls a body that does not decode a ServerError by its status, and retries it', async () => {
    // JSON labelled as compressed: fetch fails reading it, after the status has arrived.
    const failed = await ask(raw(500, { 'content-type': 'application/json', 'content-encoding': 'gzip' }, '{"errors":[]}'));
    expect(failed).toMatchObject({ requests: 3, errors: [{ code: 'UPSTREAM_ERROR', status: 500 }] });
    expect(failed.errors[0]).toBeInstanceOf(ServerError);
    const ok = await ask(raw(200, { 'content-type': 'application/json', 'content-encoding': 'br' }, '{"data":{"user":null}}'));
    expect(ok).toMatchObject({ requests: 3, errors: [{ code: 'BAD_GATEWAY', status: 200 }] });
    expect(ok.errors[0]).toBeInstanceOf(ServerError);
  });

  it('never retries a bare 4xx, a 408 included, nor a 501: they would come again the same', async () => {
    for (const status of [408, 501]) {
      const bare = await ask(raw(status, { 'content-type': 'text/html' }, '<html>no</html>'));
      expect(bare.requests).toBe(1);
      expect(bare.errors[0]).toMatchObject({ status });
    }
    expect((await ask(raw(502, { 'content-type': 'text/html' }, '<html>bad gateway</html>'))).requests).toBe(3);
  });

  it('retries a server-side code in an error entry that has no message', async () => {
    const answer = await ask((response) => json(response, 200, { data: { user: null }, errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE' } }] }));
    expect(answer.requests).toBe(3);
    expect(answer.errors[0]).toBeInstanceOf(ServerError);
  });

  it.each([
    ['null', 'null'],
    ['a list', '[1,2]'],
    ['errors that are not a list', '{"data":null,"errors":{"message":"x"}}'],
  ])('takes a 2xx JSON body that is no GraphQL response (%s) for a ServerError, and retries it', async (_name, body) => {
    const answer = await ask(raw(200, { 'content-type': 'application/json', 'x-request-id': 'edge-3' }, body));
    expect(answer.requests).toBe(3);
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors[0]).toBeInstanceOf(ServerError);
    expect(answer.errors[0]).toMatchObject({ code: 'BAD_GATEWAY', status: 200, requestId: 'edge-3' });
  });

  it("ends at the caller's abort while waiting to retry, not when the wait is over", async () => {
    // A wait of a minute: without the abort ending it, this test would time out.
    const controller = new AbortController();
    const answer = ask(raw(503, { 'content-type': 'text/plain' }, 'down'), { retry: { delaysMs: [60_000], jitter: 0 }, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    const { errors, requests } = await answer;
    expect(errors[0]).toBeInstanceOf(ConnectionError);
    expect(requests).toBe(1);
  });

  it('calls an abort with a reason of its own a ConnectionError, carrying the reason', async () => {
    const controller = new AbortController();
    const answer = ask(() => undefined, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort('user left');
    const { errors } = await answer;
    expect(errors[0]).toBeInstanceOf(ConnectionError);
    expect(errors[0]!.cause).toBe('user left');
  });

  it('gives each attempt a time limit: a server that never answers is a ConnectionError, retried', async () => {
    const answer = await ask(() => undefined, { retry: { ...fastRetries, timeoutMs: 150 } });
    expect(answer.requests).toBe(3);
    expect(answer.errors[0]).toBeInstanceOf(ConnectionError);
    expect(answer.errors[0]!.message).toBe('The gateway did not answer within 150 ms.');
  });

  it('lets a stream run past the time limit once its first result came (a subscription over HTTP)', async () => {
    // Each part is closed by the delimiter after it: the first is whole at once, the second 300 ms later.
    const part = (tick: number) => `\r\ncontent-type: application/json\r\n\r\n${JSON.stringify({ payload: { data: { tick } } })}\r\n--graphql`;
    const server = await startTestServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0' });
      response.write(`\r\n--graphql${part(1)}`);
      setTimeout(() => response.end(`${part(2)}--\r\n`), 300);
    });
    opened.push(server);
    const client = createTestApolloClient(server.url, { retry: { ...fastRetries, timeoutMs: 150 } });
    const ticks: unknown[] = [];
    const ended = await new Promise<unknown>((resolve) => {
      client.subscribe({ query: gql`subscription Ticks { tick }` }).subscribe({
        next: (result) => void ticks.push((result.data as { tick?: number } | undefined)?.tick ?? result.error),
        error: (error: unknown) => resolve(error),
        complete: () => resolve('complete'),
      });
    });
    expect(ended).toBe('complete');
    expect(ticks).toEqual([1, 2]);
  });

  it('still maps a Conflux NOT_FOUND next to partial data, and sends it once', async () => {
    const answer = await ask((response) => json(response, 200, { data: { user: null }, errors: [entry('NOT_FOUND', { status: 404, requestId: 'r-1' })] }));
    expect(answer.requests).toBe(1);
    expect(answer.errors[0]).toBeInstanceOf(NotFoundError);
    expect(answer.errors[0]).toMatchObject({ status: 404, requestId: 'r-1', path: ['user'] });
  });
});
