/**
 * The composition root: configuration in, a yoga server (a WHATWG `fetch` handler that is also
 * a Node request listener) out. Wiring only; every behaviour lives in its own folder.
 */
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { Config, ServiceName } from './config.js';
import { serviceNames } from './config.js';
import type { ContractErrorOptions } from './errors/to-graphql-error.js';
import type { Logger } from './log.js';
import { contractMaskError, useErrorContract } from './plugins/use-error-contract.js';
import { requestIdFor, useRequestId } from './plugins/use-request-id.js';
import { useRequireAuth } from './plugins/use-require-auth.js';
import { checkReadiness } from './readiness.js';
import type { GatewayContext } from './schema/builder.js';
import { gatewaySchema } from './schema/index.js';
import { createUpstreamClient, type UpstreamClient } from './upstream/client.js';
import type { Transport } from './upstream/transport.js';
import { exampleQuery } from './example-query.js';

export interface GatewayOptions {
  config: Config;
  /** The base URL of every service (demo services already started where none was configured). */
  upstreamUrls: Readonly<Record<ServiceName, string>>;
  transport: Transport;
  logger: Logger;
}

export interface Gateway {
  /** The WHATWG fetch handler (and, on Node, a request listener). */
  yoga: YogaServerInstance<Record<string, unknown>, GatewayContext>;
  fetch: (request: Request) => Promise<Response>;
  clients: Readonly<Record<ServiceName, UpstreamClient>>;
  /** Closes upstream connections. */
  close(): Promise<void>;
}

/** Caller headers passed on to upstreams; everything else stays at the gateway. */
const forwardedHeaders = ['authorization', 'accept-language', 'traceparent'] as const;
const saneHeaderValue = /^[\t\x20-\x7e]{1,1024}$/;

export function createGateway(options: GatewayOptions): Gateway {
  const { config, upstreamUrls, transport, logger } = options;
  const clients = Object.fromEntries(
    serviceNames.map((service) => [
      service,
      createUpstreamClient({
        service,
        baseUrl: upstreamUrls[service],
        transport,
        logger,
        timeoutMs: config.upstreamTimeoutMs,
        maxBodyBytes: config.upstreamMaxBodyBytes,
      }),
    ]),
  ) as Record<ServiceName, UpstreamClient>;
  const contract: ContractErrorOptions = { overrides: config.errorOverrides, logger, exposeDetail: config.development };

  const yoga = createYoga<Record<string, unknown>, GatewayContext>({
    schema: gatewaySchema(),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    logging: false,
    maskedErrors: { maskError: contractMaskError(contract), isDev: config.development },
    graphiql: {
      title: 'Conflux',
      defaultQuery: exampleQuery,
      headers: JSON.stringify({ Authorization: 'Bearer demo-admin' }),
    },
    renderGraphiQL,
    plugins: [
      useRequestId(),
      ...(config.requireAuth ? [useRequireAuth()] : []),
      useErrorContract(contract),
      {
        async onRequest({ url, endResponse }) {
          if (url.pathname !== '/ready') return;
          const report = await checkReadiness({ upstreamUrls, clients, transport });
          endResponse(Response.json(report, { status: report.ready ? 200 : 503 }));
        },
      },
    ],
    context: ({ request }): GatewayContext => {
      const requestId = requestIdFor(request);
      const forwardHeaders: Record<string, string> = {};
      for (const name of forwardedHeaders) {
        const value = request.headers.get(name);
        if (value !== null && saneHeaderValue.test(value)) forwardHeaders[name] = value;
      }
      const idempotencyKey = request.headers.get('idempotency-key');
      const deadlineAt = Date.now() + config.requestDeadlineMs;
      let signal: AbortSignal | undefined;
      return {
        requestId,
        upstreams: clients,
        call: {
          requestId,
          forwardHeaders,
          // Made on the first upstream call: a request that calls none arms no 30 s timer.
          get signal() {
            return (signal ??= AbortSignal.any([request.signal, AbortSignal.timeout(Math.max(1, deadlineAt - Date.now()))]));
          },
          deadlineAt,
          inflight: new Map(),
        },
        ...(idempotencyKey !== null && saneHeaderValue.test(idempotencyKey) && idempotencyKey.length <= 255 ? { idempotencyKey } : {}),
      };
    },
  });

  return {
    yoga,
    fetch: (request) => Promise.resolve(yoga.fetch(request)),
    clients,
    close: () => transport.close(),
  };
}
