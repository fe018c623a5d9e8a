/**
 * The composition root: configuration in, a yoga server (a WHATWG `fetch` handler that is also
 * a Node request listener) out. Wiring only; every behaviour lives in its own folder.
 */
import { execute } from 'graphql';
import { useEngine } from '@envelop/core';
import { createYoga, type Plugin, type YogaServerInstance, type YogaServerOptions } from 'graphql-yoga';
import type { Config, ServiceName } from './config.js';
import { serviceNames } from './config.js';
import type { ContractErrorOptions } from './errors/to-graphql-error.js';
import type { Logger } from './log.js';
import { contractMaskError, useErrorContract, useErrorsWrittenAsJson } from './plugins/use-error-contract.js';
import { requestIdFor, useRequestId } from './plugins/use-request-id.js';
import { useRequestReport, type RequestReport } from './plugins/use-request-report.js';
import { useRequireAuth } from './plugins/use-require-auth.js';
import { useAcceptPolicy } from './plugins/use-accept-policy.js';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { useDocumentLimits } from './plugins/use-document-limits.js';
import { useMethodPolicy } from './plugins/use-method-policy.js';
import { readOnlyRefusal } from './plugins/read-only-endpoint.js';
import { useContentTypePolicy } from './plugins/use-content-type-policy.js';
import { useBodyLimit } from './plugins/use-body-limit.js';
import { csrfHeaders, forwardableHeaders, idempotencyKeyFrom, useCorsWhereGraphQL, useVaryOnOrigin } from './edge-policy.js';
import { useFieldLimits } from './plugins/use-field-limits.js';
import { useIdempotencyKeyScope } from './plugins/use-idempotency-key-scope.js';
import { useOperationBudget } from './plugins/use-operation-budget.js';
import type { IdentityOptions } from './rate-limit/identity.js';
import { createRateLimiter } from './rate-limit/limiter.js';
import { createMemoryStore } from './rate-limit/memory-store.js';
import type { RateLimitStore } from './rate-limit/store.js';
import { checkReadiness } from './readiness.js';
import type { GatewayContext } from './schema/builder.js';
import { gatewaySchema } from './schema/index.js';
import { createUpstreamClient, type UpstreamClient, type UpstreamClientOptions } from './upstream/client.js';
import type { Transport } from './upstream/transport.js';
import { exampleQuery } from './example-query.js';

export interface GatewayOptions {
  config: Config;
  /** The base URL of every service (demo services already started where none was configured). */
  upstreamUrls: Readonly<Record<ServiceName, string>>;
  transport: Transport;
  logger: Logger;
  /** Where rate-limit counters live; the gateway closes it. @default a bounded in-memory store */
  rateLimitStore?: RateLimitStore;
  /**
   * Renders the GraphiQL page. Node passes the self-contained one (`@graphql-yoga/render-graphiql`,
   * 9 MB, no CDN); `false` turns GraphiQL off. @default yoga's own page, which loads GraphiQL from a CDN
   */
  renderGraphiQL?: YogaServerOptions<Record<string, unknown>, GatewayContext>['renderGraphiQL'] | false;
  /** Told of every upstream attempt (metrics). @default none */
  onUpstreamCall?: UpstreamClientOptions['onUpstreamCall'];
  /** Told of every GET that joined one in flight for another request (metrics). @default none */
  onUpstreamCoalesced?: UpstreamClientOptions['onCoalesced'];
  /** Told of every finished request, after it is logged (metrics). @default none */
  onRequestReport?: (report: RequestReport) => void;
  /**
   * Runs what the caller need not wait for, each request's log line and its `onRequestReport`,
   * once the response is on its way. Node passes `setImmediate`: yoga hands the response to Node
   * only after its last hook, so a report made in that hook would delay every answer by its cost.
   * @default at once, before the response is handed over (the edge, whose work ends with the response)
   */
  afterResponse?: (task: () => void) => void;
  /** Hex SHA-256 of a caller's bearer key, its rate-limit identity (Node passes `node:crypto`'s). @default Web Crypto's */
  sha256Hex?: IdentityOptions['sha256Hex'];
  /** More yoga plugins, after the built-in ones (the Node metrics endpoint). @default none */
  plugins?: Plugin[];
  /**
   * When a request began to arrive (epoch ms), from the server's context (Node's `req`, the
   * edge's `arrivedAt`): the request deadline runs from then, so that a slow body is part of it.
   * @default when its context is made, after the body has arrived
   */
  arrivedAt?: (serverContext: Record<string, unknown>) => number | undefined;
  /** Per-client settings that are not configuration (tests turn dedupe off to count its effect). @default {} */
  clientOptions?: Pick<UpstreamClientOptions, 'dedupe'>;
}

export interface Gateway {
  /** The WHATWG fetch handler (and, on Node, a request listener). */
  yoga: YogaServerInstance<Record<string, unknown>, GatewayContext>;
  /** `serverContext` reaches the `arrivedAt` option (the edge passes when its request arrived). */
  fetch: (request: Request, serverContext?: Record<string, unknown>) => Promise<Response>;
  clients: Readonly<Record<ServiceName, UpstreamClient>>;
  /** Closes upstream connections and the rate-limit store. */
  close(): Promise<void>;
}

export function createGateway(options: GatewayOptions): Gateway {
  const { config, upstreamUrls, transport, logger, arrivedAt } = options;
  const clients = Object.fromEntries(
    serviceNames.map((service) => [
      service,
      createUpstreamClient({
        service,
        baseUrl: upstreamUrls[service],
        transport,
        logger,
        timeoutMs: config.upstreamTimeoutMs,
        requestDeadlineMs: config.requestDeadlineMs,
        maxBodyBytes: config.upstreamMaxBodyBytes,
        coalesce: config.upstreamCoalesce,
        ...(options.onUpstreamCall ? { onUpstreamCall: options.onUpstreamCall } : {}),
        ...(options.onUpstreamCoalesced ? { onCoalesced: options.onUpstreamCoalesced } : {}),
        breakerThreshold: config.circuitFailureThreshold,
        breakerHalfOpenAfterMs: config.circuitHalfOpenAfterMs,
        ...options.clientOptions,
      }),
    ]),
  ) as Record<ServiceName, UpstreamClient>;
  const { edge } = config;
  const contract: ContractErrorOptions = { overrides: config.errorOverrides, logger, exposeDetail: config.development, hideSuggestions: !edge.introspection };
  const rateLimitStore = options.rateLimitStore ?? createMemoryStore({ maxIdentities: config.rateLimitMaxIdentities });
  const limiter = createRateLimiter({ store: rateLimitStore, onStoreFailure: config.rateLimitStoreFailure, logger });
  const identity: IdentityOptions = { trustedProxies: config.rateLimitTrustedProxies };
  if (config.rateLimitClientIpHeader !== undefined) identity.clientIpHeader = config.rateLimitClientIpHeader;
  if (options.sha256Hex !== undefined) identity.sha256Hex = options.sha256Hex;
  const sharedStoreCheck = rateLimitStore.name === 'memory' ? undefined : { [rateLimitStore.name]: () => rateLimitStore.ping() };

  const report = (finished: RequestReport) => reportRequest(logger, finished, options.onRequestReport);
  const { afterResponse } = options;
  const requestReport = useRequestReport({ onReport: afterResponse ? (finished) => afterResponse(() => report(finished)) : report });
  const yoga = createYoga<Record<string, unknown>, GatewayContext>({
    schema: gatewaySchema(),
    graphqlEndpoint: '/graphql',
    // yoga's own health check answers any method at any URL that ends with its endpoint
    // (`/graphql?q=/health` included); the plugin below answers `/health` instead. A space ends
    // no parsed URL (it is always percent-encoded), so yoga's check never matches.
    healthCheckEndpoint: ' ',
    landingPage: false,
    logging: false,
    maskedErrors: { maskError: contractMaskError(contract), isDev: config.development },
    graphiql: config.graphiql && edge.introspection && options.renderGraphiQL !== false && {
      title: 'Conflux',
      defaultQuery: exampleQuery,
      headers: JSON.stringify({ Authorization: 'Bearer demo-admin' }),
    },
    ...(options.renderGraphiQL ? { renderGraphiQL: options.renderGraphiQL } : {}),
    // README "Security": every limit at the edge, with its configuration.
    maxRequestBodySize: false, // replaced by useBodyLimit, which skips re-streaming bounded bodies
    batching: edge.batchLimit > 0 && { limit: edge.batchLimit },
    multipart: edge.allowFormBodies,
    cors: false, // useCorsWhereGraphQL below, when there is an allowlist
    plugins: [
      // graphql-js's own executor, in place of yoga's default (@graphql-tools/executor 2), which
      // writes each object's fields in the order they resolve rather than the order asked for.
      useEngine({ execute }),
      requestReport.start,
      useRequestId(),
      ...(edge.corsOrigins.length > 0 ? [useCorsWhereGraphQL(edge.corsOrigins), useVaryOnOrigin()] : []),
      useMethodPolicy(), // first of the checks: any other would suggest the wrong fix for a PUT
      ...(config.requireAuth ? [useRequireAuth()] : []),
      useAcceptPolicy(),
      ...(config.rateLimitOperations ? [useOperationBudget({ limiter, budget: config.rateLimitOperations, identity })] : []),
      useFieldLimits({ limiter, limits: config.rateLimitFields, identity }),
      useIdempotencyKeyScope(),
      useErrorContract(contract),
      requestReport.finish,
      useCSRFPrevention({ requestHeaders: [...csrfHeaders] }),
      useContentTypePolicy({ allowFormBodies: edge.allowFormBodies }),
      useDocumentLimits(edge),
      useBodyLimit(edge.maxRequestBodyBytes),
      ...(options.plugins ?? []),
      {
        async onRequest({ request, url, endResponse, fetchAPI }) {
          const { pathname } = url;
          if (pathname !== '/health' && pathname !== '/ready') return;
          const refused = readOnlyRefusal(fetchAPI, request, pathname);
          if (refused) return endResponse(refused);
          if (pathname === '/health') return endResponse(new fetchAPI.Response(null, { status: 200 }));
          const report = await checkReadiness({ upstreamUrls, clients, transport, extraChecks: sharedStoreCheck });
          endResponse(fetchAPI.Response.json(report, { status: report.ready ? 200 : 503 }));
        },
      },
      useErrorsWrittenAsJson(), // last: every plugin before it sees GraphQLErrors
    ],
    context: (initial): GatewayContext => {
      const { request } = initial;
      const requestId = requestIdFor(request);
      const forwardHeaders = forwardableHeaders(request.headers);
      const idempotency = idempotencyKeyFrom(request.headers);
      const context: GatewayContext = {
        requestId,
        upstreams: clients,
        call: {
          requestId,
          forwardHeaders,
          signal: request.signal,
          deadlineAt: (arrivedAt?.(initial) ?? Date.now()) + config.requestDeadlineMs,
          inflight: new Map(),
        },
        contract,
      };
      // Set apart rather than spread into the literal: in V8 a property after a spread in an
      // object literal takes a slow path (about 1 µs each, on every request).
      if (idempotency !== undefined) {
        context.idempotencyKeySent = idempotency.sent;
        if (idempotency.forwarded !== undefined) context.idempotencyKey = idempotency.forwarded;
      }
      return context;
    },
  });

  return {
    yoga,
    fetch: (request, serverContext) => Promise.resolve(serverContext === undefined ? yoga.fetch(request) : yoga.fetch(request, serverContext)),
    clients,
    close: async () => {
      await Promise.all([transport.close(), rateLimitStore.close()]);
    },
  };
}

/** Paths polled by orchestrators and scrapers: logged at debug, not info. */
const quietPaths = new Set(['/health', '/ready', '/metrics']);

/** One log line per request, with its request id; then the embedder's observer, if any. */
function reportRequest(logger: Logger, report: RequestReport, observer: GatewayOptions['onRequestReport']): void {
  // Built member by member, in this order, for the reason given in the context factory above.
  const line: Record<string, unknown> = { requestId: report.requestId, method: report.method, path: report.path };
  if (report.operation !== undefined) line['operation'] = report.operation;
  if (report.operationType !== undefined) line['operationType'] = report.operationType;
  line['status'] = report.status;
  if (report.durationMs !== undefined) line['durationMs'] = report.durationMs;
  line['outcome'] = report.outcome;
  if (report.errors.length > 0) line['errorCodes'] = [...new Set(report.errors.map((error) => error.code))];
  if (report.joinedRequestIds !== undefined) line['joinedRequestIds'] = report.joinedRequestIds;
  if (quietPaths.has(report.path)) logger.debug(line, 'request');
  else logger.info(line, 'request');
  observer?.(report);
}
