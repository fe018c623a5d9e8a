import { expect } from 'vitest';
import { startGateway, type RunningGateway } from '../../src/main.js';
import { assertNoLeaks } from './leak-scan.js';
import { createRecordingLogger } from './recording-logger.js';

export type TestGateway = RunningGateway & {
  logger: ReturnType<typeof createRecordingLogger>;
  /** POSTs a GraphQL operation to the listening gateway. */
  graphql(query: string, init?: GraphQLRequestInit): Promise<GraphQLReply>;
};

export interface GraphQLRequestInit {
  variables?: Record<string, unknown>;
  operationName?: string;
  /** `Authorization` value; `null` sends none. @default 'Bearer demo-admin' */
  authorization?: string | null;
  headers?: Record<string, string>;
}

export interface GraphQLReply {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, any> | null;
    errors?: Array<{ message: string; path?: Array<string | number>; locations?: unknown; extensions: Record<string, any> }>;
  };
}

/**
 * Starts the gateway on a free loopback port, with the demo upstreams for every unset URL.
 * Rate limits are off unless `env` sets them, so that other tests are never limited.
 */
export async function startTestGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const logger = createRecordingLogger();
  const running = await startGateway({ PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_OPERATIONS: 'off', RATE_LIMIT_START_SYNTHESIS: 'off', RATE_LIMIT_KNOWLEDGE: 'off', ...env }, { logger });
  return Object.assign(running, {
    logger,
    async graphql(query: string, init: GraphQLRequestInit = {}): Promise<GraphQLReply> {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...init.headers };
      const authorization = init.authorization === undefined ? 'Bearer demo-admin' : init.authorization;
      if (authorization !== null) headers['authorization'] = authorization;
      const response = await fetch(`${running.url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables: init.variables, operationName: init.operationName }),
      });
      const text = await response.text();
      const body = JSON.parse(text) as GraphQLReply['body'];
      // Every reply that carries errors goes through the leak scan (ERRORS.md §4).
      if (body.errors?.length) assertNoLeaks(text, response.headers, `reply to ${query.slice(0, 80)}`);
      return { status: response.status, headers: response.headers, body };
    },
  });
}

/**
 * Posts `query` with the demo credential from a caller that can leave (`leaving.abort()`);
 * `reply` settles with the response, or with the error the caller got when it left.
 */
export function postLeavable(gatewayUrl: string, query: string): { leaving: AbortController; reply: Promise<unknown> } {
  const leaving = new AbortController();
  const reply = fetch(`${gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' },
    body: JSON.stringify({ query }),
    signal: leaving.signal,
  }).catch((error: unknown) => error);
  return { leaving, reply };
}

/** The one error at `path`, failing the test when there is not exactly one. */
export function errorAt(reply: GraphQLReply, path: Array<string | number>) {
  const found = (reply.body.errors ?? []).filter((error) => JSON.stringify(error.path) === JSON.stringify(path));
  if (found.length !== 1) throw new Error(`expected one error at ${JSON.stringify(path)}, got ${JSON.stringify(reply.body.errors)}`);
  return found[0]!;
}

/** Asserts the gateway still answers a query from a healthy (demo) service with data. */
export async function expectStillServing(gateway: TestGateway): Promise<void> {
  const reply = await gateway.graphql('{ project(id: "p-1") { name } }');
  expect(reply.body).toEqual({ data: { project: { name: 'Atlas' } } });
}
