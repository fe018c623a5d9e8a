/**
 * `/ready`: every configured upstream answers at all (any HTTP status counts: the service is
 * reachable) and no circuit is open. Reports which one is not, with each circuit's state and,
 * while one is open, `retryAfter`: seconds until it lets a probe through.
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
  checks: Record<string, { ok: boolean; circuit?: string; retryAfter?: number }>;
}

export async function checkReadiness(options: ReadinessOptions): Promise<ReadinessReport> {
  const timeoutMs = options.probeTimeoutMs ?? 2000;
  const checks: ReadinessReport['checks'] = {};
  // Probes have no caller to leave: only their timeout ends them. A signal of their own, made per
  // check: on the edge a signal belongs to the request it was made in, and one made once (in the
  // isolate's first request) failed every later probe there with "I/O on behalf of a different request".
  const neverAborted = new AbortController().signal;
  const probes = Object.entries(options.upstreamUrls).map(async ([name, baseUrl]) => {
    const { state: circuit, retryAfterSeconds } = options.clients[name as ServiceName].circuit();
    let ok = false;
    try {
      await options.transport.send({ method: 'GET', url: `${baseUrl}/`, headers: {}, signal: neverAborted, timeoutMs, deadlineAt: Date.now() + timeoutMs, maxBodyBytes: 64 * 1024 });
      ok = circuit !== 'open';
    } catch {
      ok = false;
    }
    checks[name] = retryAfterSeconds === undefined ? { ok, circuit } : { ok, circuit, retryAfter: retryAfterSeconds };
  });
  const extras = Object.entries(options.extraChecks ?? {}).map(async ([name, check]) => {
    checks[name] = { ok: await check().catch(() => false) };
  });
  await Promise.all([...probes, ...extras]);
  return { ready: Object.values(checks).every((check) => check.ok), checks };
}
