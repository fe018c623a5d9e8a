/**
 * Renders a run as Markdown (the tables in bench/README.md and the project README) and splices
 * it between the results markers of a file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { BenchResults } from './harness.js';
import type { ServerName } from './scenarios.js';

const serverLabels: Record<ServerName, string> = {
  upstream: 'upstream (REST, direct)',
  conflux: 'Conflux',
  yoga: 'naive yoga + fetch',
  apollo: 'Apollo Server + RESTDataSource',
  'conflux-limited': 'Conflux, budget being spent',
  'conflux-baseline': 'Conflux, baseline build',
  'conflux-found': 'Conflux, every id found',
  'conflux-single': 'Conflux, sent `single`',
  'conflux-solo': 'Conflux, coalescing off',
  'bare-proxy': 'bare Node proxy, no GraphQL',
  'graphql-floor': 'graphql-js alone over node:http, one pooled GET',
  'yoga-floor': 'graphql-yoga alone, one pooled GET',
  hive: 'Hive Gateway over OpenAPI',
};

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const cpu = (value: number | null) => (value === null ? '—' : fixed(value, 3));
const times = (value: number | null | undefined) => (value === undefined ? '' : value === null ? '—' : `${fixed(value, 2)}×`);

export function renderMarkdown(results: BenchResults): string {
  const { machine, settings } = results;
  const lines = [
    `Measured ${results.generatedAt.slice(0, 16).replace('T', ' ')} UTC on ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}, ${machine.platform}; ` +
      `${settings.rounds} turns of ${settings.durationSec} s per server per scenario (the servers taking turns, A B C A B C), ${settings.connections} connections, loopback. ` +
      (settings.pinned
        ? `The server under test runs on a core of its own (CPU ${settings.pinned.server}) and the load generator and the upstream on another (CPU ${settings.pinned.load})`
        : 'The load generator, the upstream and the server share the machine') +
      (machine.stolenPercent === null ? '. ' : `, and the host held back ${fixed(machine.stolenPercent, 1)} % of its CPU time during the run (steal time: how busy the host was). `) +
      '"Conflux ÷ this" is the geometric mean of the ratios of turns run one after the other, so it can differ a little from the quotient of the req/s columns.',
    '',
    '| scenario | server | req/s | p50 ms | p99 ms | CPU ms / req | upstream calls / query, alone | under load | upstream CPU ms / req | peak RSS MiB | Conflux ÷ this, req/s | by CPU |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const scenario of results.scenarios) {
    for (const server of scenario.servers) {
      const ratio = scenario.ratios[server.server];
      const failed = server.non2xx > 0 ? ` (${server.non2xx} non-2xx)` : '';
      lines.push(
        `| ${scenario.name} | ${serverLabels[server.server]} | ${fixed(server.rps, 0)}${failed} | ${server.p50Ms} | ${server.p99Ms} | ${cpu(server.cpuMsPerRequest)} | ${server.callsPerQuery} | ${fixed(server.loadCallsPerQuery, 1)} | ${cpu(server.upstreamCpuMsPerRequest)} | ${server.peakRssMb === null ? '—' : fixed(server.peakRssMb, 0)} | ${times(ratio?.mean)} | ${times(ratio?.cpu)} |`,
      );
    }
  }
  if (results.latency) {
    const { latency } = results;
    lines.push(
      '',
      `One connection, ${latency.requests} sequential requests each after as many unmeasured: p50 ${fixed(latency.directP50Ms, 3)} ms direct, ` +
        `${fixed(latency.confluxP50Ms, 3)} ms through Conflux (\`single\`): ${fixed(latency.addedP50Ms, 3)} ms added` +
        Object.entries(latency.othersAddedP50Ms)
          .map(([name, added]) => `; ${serverLabels[name as ServerName]} ${fixed(added, 3)} ms`)
          .join('') +
        ' (the bare proxy forwards the one GET with no GraphQL: the hop alone; graphql-js alone executes the query around that GET with no framework: GraphQL\'s own share; graphql-yoga alone is yoga\'s defaults around it, no checks or logs: the floor for a gateway built on it).',
    );
  }
  lines.push('', '| target | goal | measured | met | by CPU per request |', '|---|---|--:|---|--:|');
  for (const target of results.targets) {
    const value = target.value === null ? 'not run' : `${fixed(target.value, target.unit === 'calls' ? 0 : 2)} ${target.unit}`;
    lines.push(`| ${target.name} | ${target.goal} | ${value} | ${target.met === null ? '—' : target.met ? 'yes' : 'no'} | ${target.byCpu === null ? '' : times(target.byCpu)} |`);
  }
  return lines.join('\n');
}

export const startMarker = '<!-- bench:results:start -->';
export const endMarker = '<!-- bench:results:end -->';

/** Replaces the text between the markers in `file`; throws when the markers are missing. */
export function spliceResults(file: string, markdown: string): void {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(startMarker);
  const end = text.indexOf(endMarker);
  if (start < 0 || end < start) throw new Error(`${file} has no ${startMarker} … ${endMarker} section`);
  writeFileSync(file, `${text.slice(0, start + startMarker.length)}\n${markdown}\n${text.slice(end)}`);
}
