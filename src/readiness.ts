/**
 * `/ready`: every configured upstream answers at all (any HTTP status counts: the service is
 * reachable) and no circuit is open. Reports which one is not.
 */
import type { ServiceName } from './config.js';
import type { UpstreamClient } from './upstream/client.js';
import type { Transport } from './upstream/transport.js';

export interface ReadinessOptions {
  upstreamUrls: Readonly<Record<ServiceName, string>>;
  clients: Readonly<Record<ServiceName, UpstreamClient>>;
  transport: Transport;
  /** How long one probe may take, in ms. @default 2000 */
  probeTimeoutMs?: number;
  /** Further checks (Redis...) by name: resolve true when healthy. */
  extraChecks?: Readonly<Record<string, () => Promise<boolean>>>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; circuit?: string }>;
}

export async function checkReadiness(options: ReadinessOptions): Promise<ReadinessReport> {
  const timeoutMs = options.probeTimeoutMs ?? 2000;
  const checks: ReadinessReport['checks'] = {};
  const probes = Object.entries(options.upstreamUrls).map(async ([name, baseUrl]) => {
    const circuit = options.clients[name as ServiceName].circuit().state;
    let ok = false;
    try {
      await options.transport.send({ method: 'GET', url: `${baseUrl}/`, headers: {}, signal: AbortSignal.timeout(timeoutMs), maxBodyBytes: 64 * 1024 });
      ok = circuit !== 'open';
    } catch {
      ok = false;
    }
    checks[name] = { ok, circuit };
  });
  const extras = Object.entries(options.extraChecks ?? {}).map(async ([name, check]) => {
    checks[name] = { ok: await check().catch(() => false) };
  });
  await Promise.all([...probes, ...extras]);
  return { ready: Object.values(checks).every((check) => check.ok), checks };
}
