/**
 * A plugin an embedder passes to `createGateway` sees every error as a `GraphQLError` already on
 * the contract, also on a partial-data result (whose errors are handed to the serialiser as plain
 * JSON only after every plugin has run).
 */
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { parseConfig, serviceNames, type ServiceName } from '../../src/config.js';
import { startDemoUpstreams } from '../../src/demo/index.js';
import { createGateway } from '../../src/server.js';
import { createUndiciTransport } from '../../src/upstream/undici-transport.js';
import { createRecordingLogger } from '../support/recording-logger.js';
import { useTestResources } from '../support/resources.js';

const use = useTestResources();

describe('plugins given by an embedder', () => {
  it('see GraphQLErrors with contract codes on a partial result, and the caller gets the contract JSON', async () => {
    const demo = await startDemoUpstreams();
    const transport = createUndiciTransport();
    use.onClose(() => demo.close());
    use.onClose(() => transport.close());
    const seen: Array<{ isGraphQLError: boolean; code: unknown; path: unknown }> = [];
    const watcher: Plugin = {
      onResultProcess({ result }) {
        for (const item of Array.isArray(result) ? result : [result]) {
          for (const error of (item as { errors?: readonly unknown[] }).errors ?? []) {
            seen.push({ isGraphQLError: error instanceof GraphQLError, code: (error as GraphQLError).extensions?.['code'], path: (error as GraphQLError).path });
          }
        }
      },
    };
    const upstreamUrls = Object.fromEntries(serviceNames.map((name) => [name, demo.services[name]!.url])) as Record<ServiceName, string>;
    const gateway = createGateway({ config: parseConfig({}), upstreamUrls, transport, logger: createRecordingLogger(), plugins: [watcher] });

    const response = await gateway.fetch(
      new Request('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin', 'x-request-id': 'embedder-1' },
        body: JSON.stringify({ query: '{ found: project(id: "p-1") { id } missing: project(id: "p-404") { id } }' }),
      }),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: unknown; errors: Array<Record<string, unknown>> };
    expect(body.data).toEqual({ found: { id: 'p-1' }, missing: null });
    expect(body.errors).toEqual([
      {
        message: expect.any(String),
        locations: [{ line: 1, column: 36 }],
        path: ['missing'],
        extensions: expect.objectContaining({ code: 'NOT_FOUND', status: 404, requestId: 'embedder-1', upstream: expect.objectContaining({ service: 'projects', status: 404 }) }),
      },
    ]);
    expect(seen).toEqual([{ isGraphQLError: true, code: 'NOT_FOUND', path: ['missing'] }]);
  });

  it('that fail before execution give a masked INTERNAL_SERVER_ERROR, logged once with the request id', async () => {
    const logger = createRecordingLogger();
    const broken: Plugin = {
      onRequestParse() {
        throw new Error('boom near db-1.internal:5432');
      },
    };
    const upstreamUrls = Object.fromEntries(serviceNames.map((name) => [name, 'http://127.0.0.1:9'])) as Record<ServiceName, string>;
    const transport = createUndiciTransport();
    use.onClose(() => transport.close());
    const gateway = createGateway({ config: parseConfig({}), upstreamUrls, transport, logger, plugins: [broken] });
    const response = await gateway.fetch(
      new Request('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin', 'x-request-id': 'embedder-2' },
        body: JSON.stringify({ query: '{ __typename }' }),
      }),
    );
    const text = await response.text();
    expect(text).not.toContain('boom');
    expect(JSON.parse(text).errors).toEqual([{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR', status: 500, requestId: 'embedder-2' } }]);
    const logged = logger.entries.filter((entry) => entry.message === 'unexpected error');
    expect(logged).toEqual([expect.objectContaining({ level: 'error', fields: expect.objectContaining({ requestId: 'embedder-2', err: expect.objectContaining({ message: 'boom near db-1.internal:5432' }) }) })]);
  });
});
