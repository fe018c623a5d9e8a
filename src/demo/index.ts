/**
 * The four demo upstream services (UPSTREAMS.md): real HTTP servers on loopback, each speaking
 * its own error dialect, started by the gateway when a service's URL is not configured.
 */
import { createDirectoryService } from './directory.js';
import { createKnowledgeService } from './knowledge.js';
import { createProjectsService } from './projects.js';
import { serveDemo, type DemoRequestRecord, type DemoServiceDefinition, type DemoServiceOptions } from './serve.js';
import { createWorkspacesService } from './workspaces.js';

export { demoKeys } from './http.js';
export type { DemoRequestRecord, DemoServiceOptions } from './serve.js';

/** The name of a demo service, as used in configuration (`PROJECTS_URL` ...). */
export type DemoServiceName = 'projects' | 'workspaces' | 'directory' | 'knowledge';

/** Every demo service, in the order they are started and printed. */
export const demoServiceNames: readonly DemoServiceName[] = ['projects', 'workspaces', 'directory', 'knowledge'];

/** A running demo service. */
export interface DemoService {
  name: DemoServiceName;
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:PORT` (path prefix included). */
  url: string;
  /** Every request received so far, oldest first, so tests can count calls. */
  requests: DemoRequestRecord[];
  /** Stops listening and closes every connection, idle keep-alive ones included. */
  close(): Promise<void>;
}

const definitions: Readonly<Record<DemoServiceName, () => DemoServiceDefinition>> = {
  projects: createProjectsService,
  workspaces: createWorkspacesService,
  directory: () => createDirectoryService(),
  knowledge: createKnowledgeService,
};

/** Starts one demo service with fresh state; resolves once it listens. */
export async function startDemoService(name: DemoServiceName, options: DemoServiceOptions = {}): Promise<DemoService> {
  const running = await serveDemo(definitions[name](), options);
  return { name, ...running };
}

/**
 * Starts several demo services (all four by default) on free ports. If one fails to start, the
 * others are closed before the error is rethrown.
 */
export async function startDemoUpstreams(
  names: readonly DemoServiceName[] = demoServiceNames,
  options: { host?: string } = {},
): Promise<{ services: Partial<Record<DemoServiceName, DemoService>>; close(): Promise<void> }> {
  const settled = await Promise.allSettled(names.map((name) => startDemoService(name, { host: options.host })));
  const started = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const close = async (): Promise<void> => {
    await Promise.all(started.map((service) => service.close()));
  };
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    await close();
    throw failed.reason;
  }
  const services: Partial<Record<DemoServiceName, DemoService>> = {};
  for (const service of started) services[service.name] = service;
  return { services, close };
}
