/**
 * The retry link in a real Apollo Client against the real gateway. Upstreams that count their
 * calls stand in for `directory` or `workspaces`; they answer 501, which the gateway does not
 * retry itself (ERRORS.md §6), so every extra call counted is one the link made.
 */
import { ApolloClient, ApolloLink, InMemoryCache, gql } from '@apollo/client';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, RateLimitError, ServerError, createRetryLink, toConfluxError } from '../../src/client/index.js';
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

const notImplemented = (response: Parameters<typeof json>[0]) => json(response, 501, { code: 'not_implemented', message: 'try later' });
const ada = (response: Parameters<typeof json>[0]) => json(response, 200, { id: 'u-1', name: 'Ada Lovelace' });

describe('the retry link', () => {
  it('recovers a query from an upstream that fails twice and then answers', async () => {
    const directory = await scriptedUpstream([notImplemented, notImplemented, ada]);
    const gateway = await gatewayWith({ DIRECTORY_URL: directory.url });
    const client = createTestApolloClient(gateway.url, { retry: fastRetries });
    const result = await client.query({ query: userQuery, errorPolicy: 'all' });
    expect(result.error).toBeUndefined();
    expect(result.data).toMatchObject({ user: { name: 'Ada Lovelace' } });
    expect(directory.requests).toHaveLength(3);
  });

  it('stops after 3 attempts and hands over the last partial data and its error', async () => {
    const directory = await scriptedUpstream([notImplemented]);
    const gateway = await gatewayWith({ DIRECTORY_URL: directory.url });
    const client = createTestApolloClient(gateway.url, { retry: fastRetries });
    const result = await client.query({ query: gql`query Both { user(id: "u-1") { name } workspace(id: "w-1") { name } }`, errorPolicy: 'all' });
    expect(result.data).toMatchObject({ user: null, workspace: { name: 'Core' } });
    const error = toConfluxError(result.error);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', path: ['user'], upstream: { service: 'directory', status: 501 } });
    expect(directory.requests).toHaveLength(3);
  });

  it('never retries a mutation', async () => {
    const workspaces = await scriptedUpstream([notImplemented, (response) => json(response, 201, { id: 'syn-9', status: 'running' })]);
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
