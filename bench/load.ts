/**
 * Load: `autocannon` for throughput turns (fixed connections and duration), and a sequential
 * one-connection probe for latency, timed with `process.hrtime` because autocannon's
 * histogram keeps whole milliseconds.
 */
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { headersFor, type Scenario } from './scenarios.js';

export interface Turn {
  /** Completed requests per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** The server's CPU time per completed request during the turn, in ms; `null` off Linux. */
  cpuMsPerRequest: number | null;
  /** The upstream's CPU time per completed request during the turn, in ms; `null` off Linux. */
  upstreamCpuMsPerRequest: number | null;
}

type CpuClock = () => number | undefined;
const noClock: CpuClock = () => undefined;

/** One throughput turn against `baseUrl`, reading the server's and the upstream's CPU time before and after. */
export async function drive(baseUrl: string, scenario: Scenario, connections: number, durationSec: number, cpuMs: CpuClock = noClock, upstreamCpuMs: CpuClock = noClock): Promise<Turn> {
  const cpuBefore = cpuMs();
  const upstreamBefore = upstreamCpuMs();
  const result = await autocannon({
    url: `${baseUrl}${scenario.path}`,
    method: scenario.method,
    headers: headersFor(scenario),
    ...(scenario.body === undefined ? {} : { body: scenario.body }),
    connections,
    pipelining: 1,
    duration: durationSec,
    // autocannon ends a run at its next sample, once a second by default: a 1.5 s turn ran 2 s.
    sampleInt: 100,
    timeout: 10,
  });
  const requests = result['2xx'] + result.non2xx;
  const perRequest = (before: number | undefined, after: number | undefined) => (before === undefined || after === undefined || requests === 0 ? null : (after - before) / requests);
  return {
    cpuMsPerRequest: perRequest(cpuBefore, cpuMs()),
    upstreamCpuMsPerRequest: perRequest(upstreamBefore, upstreamCpuMs()),
    rps: requests / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** Sends `count` requests one after another on one kept-alive connection; returns each one's latency in ms. */
export async function sequentialLatencies(baseUrl: string, scenario: Scenario, count: number, maxMs: number): Promise<number[]> {
  const pool = new Pool(baseUrl, { connections: 1, pipelining: 1 });
  const headers = headersFor(scenario);
  const latencies: number[] = [];
  const stopAt = Date.now() + maxMs;
  try {
    for (let i = 0; i < count && Date.now() < stopAt; i++) {
      const start = process.hrtime.bigint();
      const response = await pool.request({ method: scenario.method, path: scenario.path, headers, body: scenario.body ?? null });
      await response.body.arrayBuffer();
      if (response.statusCode >= 400) throw new Error(`${scenario.name} answered ${response.statusCode} at ${baseUrl}`);
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  } finally {
    await pool.close();
  }
  return latencies;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function geometricMean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return Math.exp(values.reduce((sum, value) => sum + Math.log(value), 0) / values.length);
}
