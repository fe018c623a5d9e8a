/**
 * The Node entry: reads the configuration, starts the embedded demo services for every
 * upstream whose URL is unset, and serves the gateway over HTTP until SIGTERM or SIGINT.
 */
import { createHash } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv4, type AddressInfo, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';
import { createLogger } from './create-logger.js';
import { ConfigError, parseConfig, serviceNames, type Config, type ServiceName } from './config.js';
import { startDemoUpstreams } from './demo/index.js';
import type { Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { normalizedAddress } from './rate-limit/identity.js';
import { createRedisClient, databaseRefused, redisReady } from './rate-limit/redis-client.js';
import { createRedisStore } from './rate-limit/redis-store.js';
import { refusalBody } from './plugins/refusal.js';
import { requestIdFromHeaderValues, requestIdOfServerRequest } from './plugins/use-request-id.js';
import { bodyNotWholeError } from './plugins/use-content-type-policy.js';
import { answeredByServer, recordStatusSentByServer } from './plugins/use-request-report.js';
import { createGateway, type Gateway } from './server.js';
import { createUndiciTransport } from './upstream/undici-transport.js';

/**
 * The self-contained GraphiQL page (no CDN), loaded on the first page view: its 9 MB bundle
 * would otherwise cost every instance about 45 MB of memory from the start, GraphiQL or not.
 */
async function renderGraphiQL(options: GraphiQLOptions): Promise<string> {
  const { renderGraphiQL: render } = await import('@graphql-yoga/render-graphiql');
  return render(options);
}

export interface RunningGateway {
  config: Config;
  gateway: Gateway;
  server: Server;
  /** `http://host:port` of the listening gateway. */
  url: string;
  upstreamUrls: Readonly<Record<ServiceName, string>>;
  /** The Prometheus metrics served at `/metrics`, unless `METRICS=false`. */
  metrics: Metrics | undefined;
  /** The embedded demo services started for unset URLs, if any. */
  demo: Awaited<ReturnType<typeof startDemoUpstreams>> | undefined;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), closes everything. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
}

/** Starts the gateway from environment variables; used by the CLI below and by tests. */
export async function startGateway(env: Readonly<Record<string, string | undefined>>, options: StartOptions = {}): Promise<RunningGateway> {
  const config = parseConfig(env);
  const notToListenOn = groupAddressProblem(config.host);
  if (notToListenOn !== undefined) throw new ConfigError(`HOST=${JSON.stringify(config.host)} is invalid: ${notToListenOn}`);
  const logger: Logger = options.logger ?? createLogger({ level: config.logLevel });
  const missing = serviceNames.filter((name) => config.upstreamUrls[name] === undefined);
  const demo = missing.length > 0 ? await startDemoUpstreams(missing) : undefined;
  const upstreamUrls = Object.fromEntries(
    serviceNames.map((name) => [name, config.upstreamUrls[name] ?? demo?.services[name]?.url ?? '']),
  ) as Record<ServiceName, string>;
  const transport = createUndiciTransport({ connectionsPerOrigin: config.upstreamConnections });
  let rateLimitStore: ReturnType<typeof createRedisStore> | undefined;
  if (config.redisUrl !== undefined) {
    const client = createRedisClient(config.redisUrl, { timeoutMs: config.redisTimeoutMs, logger });
    // Connected before the first request, which would otherwise meet a client still connecting
    // (refused at once, then Redis left alone for a second): 503s, or no limit at all, while
    // /ready already said ready. A Redis that is not there by then is the failure mode's to handle.
    if (!(await redisReady(client, Math.max(1000, config.redisTimeoutMs * 4)))) {
      if (databaseRefused(client)) {
        client.disconnect();
        await Promise.all([transport.close(), demo?.close()]);
        throw new ConfigError(`REDIS_URL is invalid: the Redis server has no database ${new URL(config.redisUrl).pathname.slice(1)}`);
      }
      logger.warn({ event: 'redis_unreachable_at_start' }, 'Redis did not answer at start: rate limiting follows RATE_LIMIT_STORE_FAILURE until it does');
    }
    rateLimitStore = createRedisStore({ client, keyPrefix: config.rateLimitKeyPrefix });
  }
  const metrics = config.metrics ? createMetrics() : undefined;
  // Once draining, every answer says `Connection: close`, in flight or arriving on a kept-alive
  // connection, so that such a client (a load balancer) sends nothing more down it. So does an
  // answer sent before its request's body was read (a 413 for a declared length over the cap, a
  // 401): keeping the connection would mean reading the rest of a body already refused, which
  // Node does, megabytes of it, before the next request (and then a 408 at the deadline).
  let draining = false;
  const closeWhenDraining: Plugin = {
    onResponse({ response, serverContext }) {
      if (draining || (serverContext as { req?: IncomingMessage }).req?.complete === false) response.headers.set('connection', 'close');
    },
  };
  // A request the server answered itself (a 408 at its deadline) is not run, even when Node read
  // the rest of its body after all: reading a body resumes the socket the 408 paused.
  const notAnsweredYet: Plugin = {
    onParams({ context, setResult }) {
      if (answeredByServer(context)) setResult({ errors: [bodyNotWholeError()] });
    },
  };
  // When each request's headers arrived: its deadline runs from then, a slow body included.
  const arrivals = new WeakMap<object, number>();
  const gateway = createGateway({
    arrivedAt: (serverContext) => arrivals.get(serverContext['req'] as object),
    config,
    upstreamUrls,
    transport,
    logger,
    renderGraphiQL,
    afterResponse: setImmediate,
    sha256Hex: (text) => createHash('sha256').update(text).digest('hex'),
    ...(rateLimitStore ? { rateLimitStore } : {}),
    ...(metrics ? { onUpstreamCall: metrics.onUpstreamCall, onUpstreamCoalesced: metrics.onUpstreamCoalesced, onRequestReport: metrics.onRequestReport } : {}),
    plugins: metrics ? [metrics.plugin, closeWhenDraining, notAnsweredYet] : [closeWhenDraining, notAnsweredYet],
  });
  metrics?.watchCircuits(gateway.clients);
  // A request's headers and body must arrive within its deadline (a 408 otherwise), checked every
  // second: under Node's defaults (5 minutes, checked every 30 s) a slow client holds a socket.
  const server = createServer({ requestTimeout: config.requestDeadlineMs, connectionsCheckingInterval: 1_000, keepAliveTimeout: config.keepAliveTimeoutMs }, gateway.yoga);
  // The request being read on each socket: a 408 for its slow body carries that request's id.
  const requestOnSocket = new WeakMap<Socket, IncomingMessage>();
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    answerClientError(error, socket, logger, requestOnSocket.get(socket));
  });
  // `Expect: 100-continue`: the body is invited only when its declared length is within the cap;
  // otherwise the 413 comes without the upload. Node would invite every one.
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (!(declared > config.edge.maxRequestBodyBytes)) response.writeContinue();
    server.emit('request', request, response);
  });
  // Any other expectation gets a 417 in the contract's shape, with a request id, where Node's
  // own has neither.
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const requestId = requestIdFromHeaderValues(request.headers['x-request-id'] as string | undefined, request.headers.connection);
    const body = refusalBody('VALIDATION_ERROR', 'Only Expect: 100-continue is supported.', requestId);
    response.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId, connection: 'close' });
    response.end(body);
  });
  // In-flight requests, so that a shutdown ends as soon as the last one is answered.
  let active = 0;
  let drained: (() => void) | undefined;
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    arrivals.set(request, Date.now());
    active++;
    requestOnSocket.set(request.socket, request);
    // Node checks `requestTimeout` once a second: a body still arriving at the deadline got its
    // 408 up to a second late, or, ending in between, ran with no time left. Timed here instead.
    const late = setTimeout(() => {
      if (!request.complete && !response.headersSent) answerClientError(requestTimeout(), request.socket, logger, request);
    }, config.requestDeadlineMs).unref();
    response.once('close', () => {
      clearTimeout(late);
      if (requestOnSocket.get(request.socket) === request) requestOnSocket.delete(request.socket);
      if (--active === 0) drained?.();
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    await gateway.close();
    await demo?.close();
    throw listenFailure(error as NodeJS.ErrnoException, config.host, config.port);
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = config.shutdownGraceMs): Promise<void> => {
    stopping ??= (async () => {
      // Stop accepting at once; requests already in flight get up to `graceMs` to finish, and
      // their connections close after them.
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const idle = active === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve));
      // Near the end of the grace period, requests still waiting on an upstream are answered
      // rather than cut: their calls end as past the deadline (`GATEWAY_TIMEOUT` on those fields,
      // the data fetched so far kept), and the last tenth of the period, a second at most, is left
      // to write the answers. Cut, a load balancer saw connection errors on every slow request.
      const answerMs = Math.min(1_000, Math.floor(graceMs / 10));
      await Promise.race([idle, delay(graceMs - answerMs)]);
      if (active > 0) {
        transport.endInFlight();
        await Promise.race([idle, delay(answerMs)]);
      }
      server.closeAllConnections();
      await closed;
      // Upstream pools (and Redis, once configured) close in `gateway.close()`.
      await gateway.close();
      await demo?.close();
    })();
    return stopping;
  };
  return { config, gateway, server, url: `http://${host}:${address.port}`, upstreamUrls, metrics, demo, stop };
}

/** Resolves after `ms`, without keeping the process alive. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Node's HTTP parser refuses some requests before the gateway sees them: CR or LF in a header
 * value, headers over `--max-http-header-size` (16 KB by default), a malformed request line.
 * They get a 4xx in the error contract's shape instead of Node's bare one; the raw bytes (which
 * may hold credentials) are never logged.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket, logger: Logger, inFlight: IncomingMessage | undefined): void {
  const requestId = (inFlight === undefined ? undefined : requestIdOfServerRequest(inFlight)) ?? crypto.randomUUID();
  logger.debug({ event: 'client_error', requestId, errorCode: error.code }, 'malformed HTTP request refused');
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  // The request being read gets no other answer: its request line gives this status.
  if (inFlight !== undefined) recordStatusSentByServer(inFlight, status);
  const message = status === 431 ? 'Request headers too large.' : status === 408 ? 'Request timed out.' : 'Malformed HTTP request.';
  const body = refusalBody('VALIDATION_ERROR', message, requestId);
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status]}`, 'content-type: application/json; charset=utf-8', `content-length: ${Buffer.byteLength(body)}`, `x-request-id: ${requestId}`, 'connection: close'];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  // Nothing more is read (Node may still resume the socket to read a body already being read:
  // `notAnsweredYet` keeps that request from running). The connection is closed a little later
  // rather than at once, since closing with unread bytes resets it, and a reset can take the
  // answer with it before the caller reads it.
  socket.pause();
  setTimeout(() => socket.destroy(), refusedConnectionLingerMs).unref();
}

/** The error Node's own `requestTimeout` raises, for a request whose body is late. */
function requestTimeout(): NodeJS.ErrnoException {
  return Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
}

/** How long a refused connection stays open after its answer, unread, so that the answer arrives. */
const refusedConnectionLingerMs = 1000;

/**
 * Why `host` can be bound but never reached: a multicast address, or a broadcast one (the
 * limited broadcast, or that of a subnet of this machine's, `127.255.255.255` included). The
 * kernel lets a TCP socket bind them, and nothing can connect. Host names and other addresses are
 * left to `listen`.
 */
function groupAddressProblem(host: string): string | undefined {
  // In one spelling: `::ffff:224.0.0.1` is `224.0.0.1`; a host name is none.
  const address = normalizedAddress(host);
  const unreachable = 'which no client can connect to; expected an address of this machine';
  if (address !== undefined && isIPv4(address)) {
    const first = Number(address.split('.')[0]);
    if (first >= 224 && first <= 239) return `a multicast address, ${unreachable}`;
    if (address === '255.255.255.255' || subnetBroadcasts().has(address)) return `a broadcast address, ${unreachable}`;
  } else if (address !== undefined && address.startsWith('ff')) {
    return `a multicast address, ${unreachable}`;
  }
  return undefined;
}

/**
 * The broadcast address of each IPv4 subnet this machine is on, but for its own addresses: a /32
 * or /31 (a pod, a cloud VM, a VPN) has no broadcast address, and the formula gives the address itself.
 */
export function subnetBroadcasts(interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): Set<string> {
  const broadcasts = new Set<string>();
  const own = new Set<string>();
  const octets = (text: string) => text.split('.').map(Number);
  for (const entries of Object.values(interfaces)) {
    for (const entry of entries ?? []) {
      if (entry.family !== 'IPv4') continue;
      own.add(entry.address);
      if (entry.netmask === '255.255.255.255' || entry.netmask === '255.255.255.254') continue;
      const mask = octets(entry.netmask);
      broadcasts.add(octets(entry.address).map((octet, i) => (octet | ~mask[i]!) & 255).join('.'));
    }
  }
  for (const address of own) broadcasts.delete(address);
  return broadcasts;
}

/** A failed listen as one line naming the variable to change: a port in use, a host that is not this machine's. */
function listenFailure(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const at = `${host}:${port}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return new ConfigError(`PORT=${port} is invalid: the address ${at} is already in use`);
    case 'EACCES':
      return new ConfigError(`PORT=${port} is invalid: not allowed to listen on ${at} (ports below 1024 need privileges)`);
    case 'EINVAL':
      // Linux, for an IPv6 link-local address without its zone (`fe80::1` rather than `fe80::1%eth0`).
      return new ConfigError(`HOST=${JSON.stringify(host)} is invalid: expected an address of this machine (EINVAL${host.toLowerCase().startsWith('fe80:') ? '; a link-local address needs its interface, as in fe80::1%eth0' : ''})`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return new ConfigError(`HOST=${JSON.stringify(host)} is invalid: expected an address of this machine (${error.code})`);
    default:
      return error;
  }
}

async function main(): Promise<void> {
  let running: RunningGateway;
  try {
    running = await startGateway(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`conflux: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // Lines for a person at a terminal go to stderr: stdout holds JSON lines only, for log pipelines.
  // Listening on every address: the URL to open is this machine's own.
  const shown = running.url.replace('//0.0.0.0:', '//localhost:').replace('//[::]:', '//localhost:');
  const page = running.config.graphiql && running.config.edge.introspection ? 'GraphiQL' : 'GraphQL (no GraphiQL page: GRAPHIQL or INTROSPECTION is false)';
  process.stderr.write(`Conflux is serving ${page} at ${shown}/graphql\n`);
  for (const name of Object.keys(running.upstreamUrls)) {
    process.stderr.write(`  ${name.padEnd(10)} ${running.config.upstreamUrls[name as ServiceName] ? 'configured' : 'demo'} upstream\n`);
  }
  const shutdown = (signal: string) => {
    process.stderr.write(`Conflux received ${signal}: finishing in-flight requests\n`);
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
