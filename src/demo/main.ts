/**
 * `npm run demo:upstreams`: starts the four demo services on their own, prints one line per
 * service (`projects http://127.0.0.1:PORT`) and stops cleanly on SIGINT or SIGTERM.
 * Ports come from `PROJECTS_PORT`, `WORKSPACES_PORT`, `DIRECTORY_PORT`, `KNOWLEDGE_PORT`
 * (unset or 0: a free port), the interface from `HOST` (default 127.0.0.1).
 */
import process from 'node:process';
import { demoServiceNames, startDemoService, type DemoService, type DemoServiceName } from './index.js';

/** The port for a service from `<NAME>_PORT`, 0 when unset; throws on anything but 0-65535. */
function demoPortFor(name: DemoServiceName, env: NodeJS.ProcessEnv): number {
  const variable = `${name.toUpperCase()}_PORT`;
  const raw = env[variable]?.trim() ?? '';
  if (raw === '') return 0;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535) throw new Error(`${variable} must be a port number from 0 to 65535, got "${raw}"`);
  return port;
}

async function main(): Promise<void> {
  const host = process.env.HOST?.trim() || '127.0.0.1';
  const ports = demoServiceNames.map((name) => [name, demoPortFor(name, process.env)] as const);
  const services: DemoService[] = [];
  const closeAll = (): Promise<void> => Promise.all(services.map((service) => service.close())).then(() => undefined);
  try {
    for (const [name, port] of ports) services.push(await startDemoService(name, { host, port }));
  } catch (error) {
    await closeAll();
    throw error;
  }
  for (const service of services) process.stdout.write(`${service.name} ${service.url}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void closeAll().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo upstreams failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
