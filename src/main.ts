/**
 * The Node entry: reads the configuration, starts the embedded demo services for every
 * upstream whose URL is unset, and serves the gateway over HTTP until SIGTERM or SIGINT.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { pino } from 'pino';
import { ConfigError, parseConfig, serviceNames, type Config, type ServiceName } from './config.js';
import { startDemoUpstreams } from './demo/index.js';
import type { Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createGateway, type Gateway } from './server.js';
import { createUndiciTransport } from './upstream/undici-transport.js';

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
  const logger: Logger = options.logger ?? pino({ level: config.logLevel, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
  const missing = serviceNames.filter((name) => config.upstreamUrls[name] === undefined);
  const demo = missing.length > 0 ? await startDemoUpstreams(missing) : undefined;
  const upstreamUrls = Object.fromEntries(
    serviceNames.map((name) => [name, config.upstreamUrls[name] ?? demo?.services[name]?.url ?? '']),
  ) as Record<ServiceName, string>;
  const transport = createUndiciTransport();
  const metrics = config.metrics ? createMetrics() : undefined;
  const gateway = createGateway({
    config,
    upstreamUrls,
    transport,
    logger,
    renderGraphiQL,
    ...(metrics ? { onUpstreamCall: metrics.onUpstreamCall, onRequestReport: metrics.onRequestReport, plugins: [metrics.plugin] } : {}),
  });
  metrics?.watchCircuits(gateway.clients);
  const server = createServer(gateway.yoga);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 10_000): Promise<void> => {
    stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([closed, grace]);
      server.closeAllConnections();
      await gateway.close();
      await demo?.close();
    })();
    return stopping;
  };
  return { config, gateway, server, url: `http://${host}:${address.port}`, upstreamUrls, metrics, demo, stop };
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
  const shown = running.url.replace('//0.0.0.0:', '//localhost:');
  process.stdout.write(`Conflux is serving GraphiQL at ${shown}/graphql\n`);
  for (const name of Object.keys(running.upstreamUrls)) {
    process.stdout.write(`  ${name.padEnd(10)} ${running.config.upstreamUrls[name as ServiceName] ? 'configured' : 'demo'} upstream\n`);
  }
  const shutdown = (signal: string) => {
    process.stdout.write(`Conflux received ${signal}: finishing in-flight requests\n`);
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
