/**
 * The throughput cost of rate limiting: the same query against two gateways, one with the
 * operation budget and field limits off, one with them on (in-memory store, a budget too large
 * to refuse). Both are started and warmed up first, so that neither pays for JIT compilation or
 * pool set-up; then one autocannon run each over loopback, bounded in time. Prints requests per
 * second and the ratio, then what the limiter's own work costs per operation (hashing the key and
 * counting in the memory store), which the HTTP figures hide in their noise. Usage: tsx scripts/rate-limit-cost.ts [seconds per run, default 10]
 */
import autocannon from 'autocannon';
import { startGateway, type RunningGateway } from '../src/main.js';
import { silentLogger } from '../src/log.js';
import { identityFor } from '../src/rate-limit/identity.js';
import { createMemoryStore } from '../src/rate-limit/memory-store.js';

const seconds = Math.min(60, Math.max(1, Number(process.argv[2] ?? 10)));
const queries = { 'project(id) over the demo upstream': '{ project(id: "p-1") { name } }', '__typename (no upstream call)': '{ __typename }' };
const limits = {
  off: { RATE_LIMIT_OPERATIONS: 'off', RATE_LIMIT_START_SYNTHESIS: 'off', RATE_LIMIT_KNOWLEDGE: 'off' },
  on: { RATE_LIMIT_OPERATIONS: '1000000000/1h', RATE_LIMIT_START_SYNTHESIS: '3/1m', RATE_LIMIT_KNOWLEDGE: '30/1m' },
};

async function requestsPerSecond(running: RunningGateway, query: string, duration: number): Promise<number> {
  const result = await autocannon({
    url: `${running.url}/graphql`,
    method: 'POST',
    connections: 10,
    duration,
    headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' },
    body: JSON.stringify({ query }),
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return result.requests.average;
}

const off = await startGateway({ PORT: '0', HOST: '127.0.0.1', ...limits.off }, { logger: silentLogger });
const on = await startGateway({ PORT: '0', HOST: '127.0.0.1', ...limits.on }, { logger: silentLogger });
try {
  for (const [name, query] of Object.entries(queries)) {
    await requestsPerSecond(off, query, 2);
    await requestsPerSecond(on, query, 2);
    const offRate = await requestsPerSecond(off, query, seconds);
    const onRate = await requestsPerSecond(on, query, seconds);
    process.stdout.write(`${name}: off ${offRate.toFixed(0)} req/s, on ${onRate.toFixed(0)} req/s, on/off ${(onRate / offRate).toFixed(3)}\n`);
  }
} finally {
  await Promise.all([off.stop(0), on.stop(0)]);
}

const store = createMemoryStore();
const calls = 100_000;
const requests = Array.from({ length: calls }, (_, i) => new Request('http://gateway.test/graphql', { headers: { authorization: `Bearer key-${i % 1000}` } }));
const started = performance.now();
for (const request of requests) {
  await store.consume(await identityFor(request, undefined), 'operation', { limit: 1_000_000_000, windowMs: 3_600_000 });
}
process.stdout.write(`limiter alone (hash the key, count in memory): ${(((performance.now() - started) * 1000) / calls).toFixed(1)} µs per operation\n`);
