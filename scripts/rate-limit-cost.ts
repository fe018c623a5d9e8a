/**
 * The throughput cost of rate limiting: the same query against the gateway with the operation
 * budget and field limits off, then on (in-memory store, a budget too large to refuse), one
 * autocannon run each (after a 2 s warm-up) over loopback, bounded in time. Prints requests per second and the ratio.
 * Usage: tsx scripts/rate-limit-cost.ts [seconds per run, default 10]
 */
import autocannon from 'autocannon';
import { startGateway } from '../src/main.js';
import { silentLogger } from '../src/log.js';

const seconds = Math.min(60, Math.max(1, Number(process.argv[2] ?? 10)));
const queries = { 'project(id) over the demo upstream': '{ project(id: "p-1") { name } }', '__typename (no upstream call)': '{ __typename }' };

async function throughput(limiterOn: boolean, query: string): Promise<number> {
  const limits = limiterOn
    ? { RATE_LIMIT_OPERATIONS: '1000000000/1h', RATE_LIMIT_START_SYNTHESIS: '3/1m', RATE_LIMIT_KNOWLEDGE: '30/1m' }
    : { RATE_LIMIT_OPERATIONS: 'off', RATE_LIMIT_START_SYNTHESIS: 'off', RATE_LIMIT_KNOWLEDGE: 'off' };
  const running = await startGateway({ PORT: '0', HOST: '127.0.0.1', ...limits }, { logger: silentLogger });
  try {
    const run = (duration: number) => autocannon({
      url: `${running.url}/graphql`,
      method: 'POST',
      connections: 10,
      duration,
      headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' },
      body: JSON.stringify({ query }),
    });
    // A short warm-up first, so that neither side pays for JIT compilation and pool set-up.
    await run(2);
    const result = await run(seconds);
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors`);
    return result.requests.average;
  } finally {
    await running.stop(0);
  }
}

for (const [name, query] of Object.entries(queries)) {
  const off = await throughput(false, query);
  const on = await throughput(true, query);
  process.stdout.write(`${name}: off ${off.toFixed(0)} req/s, on ${on.toFixed(0)} req/s, on/off ${(on / off).toFixed(3)}\n`);
}
