/**
 * The edge entry: the standard module-worker handler, `{ fetch(request, env, ctx) }`, for
 * Cloudflare Workers (workerd) and runtimes of the same shape. The configuration comes from the
 * environment bindings (every `*_URL` must be set: there are no demo services on the edge), the
 * upstream transport is the platform's `fetch`, logs are JSON lines on `console.log`.
 *
 * WHATWG only: nothing on this file's import graph may need Node (`node:` modules, undici, pino,
 * prom-client, ioredis); `test/edge/import-graph.test.ts` walks the graph to keep it so.
 * GraphiQL here is yoga's own page, which loads GraphiQL from a CDN (`GRAPHIQL=false` turns it off).
 */
import { ConfigError, parseConfig, serviceNames, type Config, type ServiceName } from './config.js';
import { statusOfCode } from './errors/codes.js';
import { unexpectedErrorMessage } from './errors/to-graphql-error.js';
import { createConsoleLogger } from './log.js';
import { requestIdFor } from './plugins/use-request-id.js';
import type { Gateway } from './server.js';

/** The bindings the worker reads: the variables of the Configuration table, as strings. */
export type EdgeEnv = Readonly<Record<string, unknown>>;

/** What a module worker's `fetch` receives as its third argument; unused here. */
export interface EdgeExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

// One gateway per isolate and bindings object: circuits and ETag caches live as long as the isolate.
let current: { env: EdgeEnv; gateway: Gateway } | undefined;

async function gatewayFor(env: EdgeEnv): Promise<Gateway> {
  if (current?.env === env) return current.gateway;
  const config: Config = parseConfig(variablesOf(env));
  const missing = serviceNames.filter((name) => config.upstreamUrls[name] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(`${missing.map((name) => `${name.toUpperCase()}_URL`).join(', ')} must be set on the edge (no demo services there)`);
  }
  // Loaded on the first request, not at start: workerd forbids what some libraries do at module
  // scope (cockatiel makes an AbortController there), and bundlers keep a dynamic import lazy.
  const [{ createGateway }, { createFetchTransport }] = await Promise.all([import('./server.js'), import('./upstream/fetch-transport.js')]);
  const gateway = createGateway({
    config,
    upstreamUrls: config.upstreamUrls as Record<ServiceName, string>,
    transport: createFetchTransport(),
    logger: createConsoleLogger(config.logLevel),
    arrivedAt: (serverContext) => (typeof serverContext['arrivedAt'] === 'number' ? serverContext['arrivedAt'] : undefined),
  });
  current = { env, gateway };
  return gateway;
}

/**
 * The bindings as the strings the configuration reads. `[vars]` in `wrangler.toml` may hold
 * TOML's own types (`REQUIRE_AUTH = false`, `UPSTREAM_TIMEOUT_MS = 2000`, a table for
 * `ERROR_OVERRIDES`, a list for `CORS_ORIGINS`), which the platform hands over typed: each is read
 * as its text, as the same value would be from a string. Other bindings (KV, services) are objects of their own classes, not
 * variables, and are left out.
 */
export function variablesOf(env: EdgeEnv): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === 'string') variables[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') variables[name] = String(value);
    // A list of strings (`CORS_ORIGINS = ["https://a.example", "https://b.example"]`) as the comma-separated text it stands for.
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) variables[name] = value.join(',');
    else if (Array.isArray(value) || (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype)) variables[name] = JSON.stringify(value);
  }
  return variables;
}

/** Handles one request; a bad configuration answers 500 with the masked contract error and logs why. */
export async function handleEdgeRequest(request: Request, env: EdgeEnv): Promise<Response> {
  // The request deadline runs from here, before its body is read.
  const arrivedAt = Date.now();
  let gateway: Gateway;
  try {
    gateway = await gatewayFor(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Like every answer, this one carries the request id, and so does its log line.
    const requestId = requestIdFor(request);
    createConsoleLogger('error').error({ requestId, event: 'config_error', reason: error.message }, 'conflux is misconfigured');
    const body = { errors: [{ message: unexpectedErrorMessage, extensions: { code: 'INTERNAL_SERVER_ERROR', status: statusOfCode.INTERNAL_SERVER_ERROR, requestId } }] };
    // Read as every other answer reads Accept (loaded here, as the gateway is, not at start).
    const { refusalMediaType } = await import('./plugins/use-accept-policy.js');
    const mediaType = refusalMediaType(request.headers.get('accept'));
    return new Response(JSON.stringify(body), { status: 500, headers: { 'content-type': `${mediaType}; charset=utf-8`, 'x-request-id': requestId } });
  }
  return gateway.fetch(request, { arrivedAt });
}

/** The module worker (a default export is what the platform looks for). */
const worker = {
  fetch(request: Request, env: EdgeEnv, _context?: EdgeExecutionContext): Promise<Response> {
    return handleEdgeRequest(request, env);
  },
};

export default worker;
