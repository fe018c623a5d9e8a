/**
 * `npm run bench [-- --quick] [-- --no-build] [-- --no-pin] [-- --scenarios=single,fanout] [-- --baseline=<dir>]`:
 * builds Conflux, runs the benchmark against its production build, prints the table, and writes
 * bench/results/latest.json and the tables in bench/README.md and README.md. `--baseline` runs
 * another build (a directory holding its `main.js`) beside it; such runs leave the READMEs alone.
 * `--no-pin` leaves every process to the scheduler instead of giving the server under test a core
 * of its own (`cpus.ts`).
 * Peers with a tree of their own (Hive Gateway, `bench/peers/`) are installed on the first run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { installPeers, runBench, type BenchOptions } from './harness.js';
import { renderMarkdown, spliceResults } from './report.js';
import { scenarioNames, type ScenarioName } from './scenarios.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const picked = args.find((arg) => arg.startsWith('--scenarios='))?.slice('--scenarios='.length).split(',');
const unknown = picked?.filter((name) => !scenarioNames.includes(name as ScenarioName)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown scenario ${unknown.join(', ')}; known: ${scenarioNames.join(', ')}\n`);
  process.exit(2);
}

export const quickSettings = { rounds: 2, durationSec: 1, warmupSec: 0.5, connections: 10, latencyRequests: 400 } as const;
// A server's CPU per request settles after 8–10 s of load (bench/README.md, "Warm-up"): 4 s
// of warm-up before turns of 5 s measures it settled, in about the time 2 s and 6 s took.
export const fullSettings = { rounds: 3, durationSec: 5, warmupSec: 4, connections: 10, latencyRequests: 2000 } as const;

const baseline = args.find((arg) => arg.startsWith('--baseline='))?.slice('--baseline='.length);

const options: BenchOptions = {
  ...(quick ? quickSettings : fullSettings),
  scenarios: (picked as ScenarioName[] | undefined) ?? scenarioNames,
  confluxCommand: [process.execPath, 'dist/main.js'],
  ...(baseline === undefined ? {} : { baselineCommand: [process.execPath, `${baseline}/main.js`] }),
  pin: !args.includes('--no-pin'),
  log: (line) => process.stdout.write(`${line}\n`),
};

// The first run in a clone installs Hive Gateway's own tree (about 30 s), while Conflux builds.
const installing = installPeers(options.log!);
if (!args.includes('--no-build')) {
  process.stdout.write('building Conflux (npm run build)\n');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
}
await installing;
const started = Date.now();
const results = await runBench(options);
const markdown = renderMarkdown(results);
process.stdout.write(`\n${markdown}\n\nbench: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/latest.json`, `${JSON.stringify(results, null, 2)}\n`);
if (!picked && baseline === undefined) {
  spliceResults(`${root}bench/README.md`, markdown);
  spliceResults(`${root}README.md`, markdown);
}
