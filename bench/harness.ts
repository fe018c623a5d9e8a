/**
 * One benchmark run: start the upstream and the servers (each its own process), drive every
 * scenario in turns, count upstream calls, read peak memory, and compute the ratios turn by turn.
 */
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startChild, type Child } from './children.js';
import { drive, geometricMean, median, sequentialLatencies, type Turn } from './load.js';
import { headersFor, requestFor, sameProcessAs, scenarios, type Scenario, type ScenarioName, type ServerName } from './scenarios.js';
import { evaluateTargets, type Target } from './targets.js';
import { ensurePeerInstalled } from './peers.js';
import { pinHarness, type CpuRole, type Pinning } from './cpus.js';

export interface BenchOptions {
  scenarios: readonly ScenarioName[];
  /** Turns per server per scenario (A B A B …). */
  rounds: number;
  /** One turn's length, in seconds. */
  durationSec: number;
  /** Unmeasured load per server before a scenario's turns, in seconds; 0 skips it. */
  warmupSec: number;
  /** autocannon connections per turn. */
  connections: number;
  /** Requests per server in the one-connection latency probe; 0 skips it. */
  latencyRequests: number;
  /** How to start Conflux, e.g. `[node, 'dist/main.js']`. */
  confluxCommand: readonly string[];
  /** Another Conflux build to run beside it wherever Conflux runs (before and after a change). @default undefined */
  baselineCommand?: readonly string[];
  /** Budget for the ordinary Conflux (`RATE_LIMIT_OPERATIONS`), high enough never to trigger. @default '1000000/1h' */
  rateLimit?: string;
  /** Budget for `limited`, small enough to run out during the scenario. @default '200/1h' */
  limitedRateLimit?: string;
  /**
   * Run the server under test on a core of its own and the load generator and the upstream on
   * another (`cpus.ts`). @default true, where the machine allows it (Linux, two CPUs, `taskset`)
   */
  pin?: boolean;
  log?: (line: string) => void;
}

export interface ServerFigures {
  server: ServerName;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** The server's CPU time per request (user + system), in ms: the median over its turns. */
  cpuMsPerRequest: number | null;
  /**
   * The upstream's CPU time per request to this server, in ms (the median over its turns): what
   * the calls it makes cost on the other side, on the same cores.
   */
  upstreamCpuMsPerRequest: number | null;
  /** Upstream calls one query makes, counted by the upstream on a lone probe request. */
  callsPerQuery: number;
  /** Upstream calls per completed request during the turns. */
  loadCallsPerQuery: number;
  non2xx: number;
  errors: number;
  /** The server process's peak RSS so far, in MiB. */
  peakRssMb: number | null;
  turns: Turn[];
}

export interface ScenarioResult {
  name: ScenarioName;
  description: string;
  servers: ServerFigures[];
  /**
   * Conflux ÷ peer requests per second: geometric mean of the per-round ratios, and each round's;
   * `cpu`: the peer's CPU per request ÷ Conflux's (above 1: Conflux is cheaper), steadier on a busy machine.
   */
  ratios: Partial<Record<ServerName, { mean: number; rounds: number[]; cpu: number | null }>>;
}

export interface LatencyResult {
  requests: number;
  directP50Ms: number;
  confluxP50Ms: number;
  addedP50Ms: number;
  /**
   * p50 added over direct by the other servers probed the same way: `bare-proxy`, which forwards
   * the one GET with no GraphQL (the hop alone), `graphql-floor`, graphql-js's `execute` around the
   * same GET with no framework (GraphQL's share), `yoga-floor`, graphql-yoga's defaults around it
   * (the framework's share), and the peers, when the run started them.
   */
  othersAddedP50Ms: Partial<Record<ServerName, number>>;
}

export interface BenchResults {
  generatedAt: string;
  machine: {
    cpuModel: string;
    cores: number;
    node: string;
    platform: string;
    /**
     * The share of the machine's CPU time the hypervisor gave to others during the run (`steal`
     * in `/proc/stat`), in percent: how busy the host was. `null` where it cannot be read.
     */
    stolenPercent: number | null;
  };
  settings: Omit<BenchOptions, 'log' | 'confluxCommand' | 'baselineCommand' | 'pin'> & {
    baseline: boolean;
    /** The CPUs the run was pinned to, or `null` when the scheduler placed every process. */
    pinned: Pinning['cpus'] | null;
  };
  scenarios: ScenarioResult[];
  latency: LatencyResult | null;
  targets: Target[];
}

const root = fileURLToPath(new URL('..', import.meta.url));
const serverScripts: Partial<Record<ServerName, string>> = {
  yoga: 'bench/servers/yoga-naive.mjs',
  apollo: 'bench/servers/apollo-rest.mjs',
  'bare-proxy': 'bench/servers/bare-proxy.mjs',
  'graphql-floor': 'bench/servers/graphql-floor.mjs',
  'yoga-floor': 'bench/servers/yoga-floor.mjs',
  hive: 'bench/peers/hive-gateway/server.mjs',
};
/** Peers installed apart from the project (`peers.ts`), by the folder they are installed in. */
const peerFolders: Partial<Record<ServerName, string>> = { hive: 'bench/peers/hive-gateway' };

/** Installs every peer that has a tree of its own where it is missing or stale (a run does it too, as it starts one). */
export async function installPeers(log: (line: string) => void): Promise<void> {
  for (const folder of Object.values(peerFolders)) await ensurePeerInstalled(`${root}${folder}`, log);
}

export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const log = options.log ?? (() => {});
  const chosen = scenarios
    .filter((scenario) => options.scenarios.includes(scenario.name))
    .map((scenario): Scenario =>
      options.baselineCommand && scenario.servers.includes('conflux') ? { ...scenario, servers: [...scenario.servers, 'conflux-baseline'] } : scenario,
    );
  const needed = new Set(chosen.flatMap((scenario) => scenario.servers));
  if (options.latencyRequests > 0) (['upstream', 'conflux', ...latencyFloors] as const).forEach((name) => needed.add(name));
  const children = new Map<ServerName, Child>();
  const cpuAtStart = machineCpuTimes();
  const pinning = options.pin === false ? null : pinHarness();
  const placed = (command: readonly string[], role: CpuRole) => (pinning ? pinning.command(command, role) : [...command]);
  try {
    const upstream = await startChild({ name: 'upstream', command: placed([process.execPath, 'bench/servers/upstream.mjs'], 'load'), env: {}, cwd: root });
    children.set('upstream', upstream);
    // Each server calls the upstream on a port of its own, which counts its calls alone.
    const counters = new Map<ServerName, UpstreamCounter>([['upstream', upstreamCounter(upstream.url)]]);
    await Promise.all(
      [...needed].filter((name) => name !== 'upstream' && sameProcessAs[name] === undefined).map(async (name) => {
        const folder = peerFolders[name];
        if (folder !== undefined) await ensurePeerInstalled(`${root}${folder}`, log);
        const ownUpstream = await (await fetch(`${upstream.url}/__listen`, { method: 'POST' })).text();
        counters.set(name, upstreamCounter(ownUpstream));
        children.set(name, await startServer(name, ownUpstream, options, (command) => placed(command, 'server')));
        log(`started ${name} at ${children.get(name)!.url}`);
      }),
    );
    // Not processes of their own: Conflux itself, sent another query.
    for (const name of needed) {
      const source = sameProcessAs[name];
      if (source !== undefined) {
        children.set(name, children.get(source)!);
        counters.set(name, counters.get(source)!);
      }
    }
    const results: ScenarioResult[] = [];
    for (const scenario of chosen) {
      log(`scenario ${scenario.name}`);
      results.push(await asServerUnderTest(scenario.servers.includes('upstream'), upstream, pinning, () => runScenario(scenario, children, counters, options, log)));
    }
    const latency = options.latencyRequests > 0 ? await measureLatency(children, options, pinning) : null;
    return {
      generatedAt: new Date().toISOString(),
      machine: machine(cpuAtStart),
      settings: { scenarios: options.scenarios, rounds: options.rounds, durationSec: options.durationSec, warmupSec: options.warmupSec, connections: options.connections, latencyRequests: options.latencyRequests, rateLimit: options.rateLimit ?? '1000000/1h', limitedRateLimit: options.limitedRateLimit ?? '200/1h', baseline: options.baselineCommand !== undefined, pinned: pinning?.cpus ?? null },
      scenarios: results,
      latency,
      targets: evaluateTargets(results, latency),
    };
  } finally {
    await Promise.all([...new Set(children.values())].map((child) => child.stop()));
    pinning?.restore();
  }
}

/**
 * Runs `work` with the upstream on the server's CPU when it is the server under test (`direct`),
 * so that every server is measured on the same core; it goes back beside the load generator after.
 */
async function asServerUnderTest<T>(itIs: boolean, upstream: Child, pinning: Pinning | null, work: () => Promise<T>): Promise<T> {
  if (!itIs || !pinning) return work();
  pinning.move(upstream.pid, 'server');
  try {
    return await work();
  } finally {
    pinning.move(upstream.pid, 'load');
  }
}

function startServer(name: ServerName, upstreamUrl: string, options: BenchOptions, placed: (command: readonly string[]) => string[]): Promise<Child> {
  const script = serverScripts[name];
  if (script !== undefined) return startChild({ name, command: placed([process.execPath, script]), env: { UPSTREAM_URL: upstreamUrl }, cwd: root });
  const budget = name === 'conflux-limited' ? (options.limitedRateLimit ?? '200/1h') : (options.rateLimit ?? '1000000/1h');
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    PROJECTS_URL: upstreamUrl,
    DIRECTORY_URL: upstreamUrl,
    WORKSPACES_URL: upstreamUrl,
    KNOWLEDGE_URL: upstreamUrl,
    RATE_LIMIT_OPERATIONS: budget,
    UPSTREAM_COALESCE: name === 'conflux-solo' ? 'false' : 'true',
  };
  const command = name === 'conflux-baseline' && options.baselineCommand ? options.baselineCommand : options.confluxCommand;
  return startChild({ name, command: placed(command), env, cwd: root });
}

interface UpstreamCounter {
  /** Waits until the count stops moving (a server may still be working off a turn's backlog), then zeroes it. */
  reset(): Promise<void>;
  read(): Promise<number>;
}

function upstreamCounter(url: string): UpstreamCounter {
  const read = async () => Number(await (await fetch(`${url}/__calls`)).text());
  return {
    async reset() {
      let last = await read();
      // Bounded: at most 100 polls of 50 ms.
      for (let polls = 0; polls < 100; polls++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const now = await read();
        if (now === last) break;
        last = now;
      }
      await (await fetch(`${url}/__reset`, { method: 'POST' })).text();
    },
    read,
  };
}

async function runScenario(scenario: Scenario, children: Map<ServerName, Child>, counters: Map<ServerName, UpstreamCounter>, options: BenchOptions, log: (line: string) => void): Promise<ScenarioResult> {
  const servers = scenario.servers.map((name) => ({ name, child: children.get(name)! }));
  const upstream = children.get('upstream')!;
  const probes = new Map<ServerName, number>();
  for (const { name, child } of servers) {
    const counter = counters.get(name)!;
    await counter.reset();
    await probe(child.url, requestFor(scenario, name));
    probes.set(name, await counter.read());
  }
  if (options.warmupSec > 0) {
    for (const { name, child } of servers) await drive(child.url, requestFor(scenario, name), options.connections, options.warmupSec);
  }
  const turns = new Map<ServerName, Turn[]>(servers.map(({ name }) => [name, []]));
  const calls = new Map<ServerName, number>(servers.map(({ name }) => [name, 0]));
  for (let round = 0; round < options.rounds; round++) {
    for (const { name, child } of turnOrder(servers, round)) {
      const counter = counters.get(name)!;
      await counter.reset();
      const turn = await drive(child.url, requestFor(scenario, name), options.connections, options.durationSec, () => child.cpuMs(), () => upstream.cpuMs());
      calls.set(name, calls.get(name)! + (await counter.read()));
      turns.get(name)!.push(turn);
      log(`  ${name.padEnd(16)} round ${round + 1}: ${turn.rps.toFixed(0)} req/s, p50 ${turn.p50Ms} ms, p99 ${turn.p99Ms} ms${turn.non2xx ? `, ${turn.non2xx} non-2xx` : ''}`);
    }
  }
  const figures = servers.map(({ name, child }): ServerFigures => {
    const own = turns.get(name)!;
    const requests = own.reduce((sum, turn) => sum + turn.requests, 0);
    const peak = child.peakRssBytes();
    return {
      server: name,
      rps: own.reduce((sum, turn) => sum + turn.rps, 0) / own.length,
      p50Ms: median(own.map((turn) => turn.p50Ms)),
      p99Ms: median(own.map((turn) => turn.p99Ms)),
      cpuMsPerRequest: medianOf(own.map((turn) => turn.cpuMsPerRequest)),
      upstreamCpuMsPerRequest: medianOf(own.map((turn) => turn.upstreamCpuMsPerRequest)),
      callsPerQuery: probes.get(name)!,
      loadCallsPerQuery: requests === 0 ? 0 : calls.get(name)! / requests,
      non2xx: own.reduce((sum, turn) => sum + turn.non2xx, 0),
      errors: own.reduce((sum, turn) => sum + turn.errors, 0),
      peakRssMb: peak === undefined ? null : peak / 2 ** 20,
      turns: own,
    };
  });
  const conflux = turns.get('conflux');
  const ratios: ScenarioResult['ratios'] = {};
  if (conflux) {
    for (const { name } of servers.filter(({ name }) => name !== 'conflux')) {
      const rounds = turns.get(name)!.map((turn, index) => conflux[index]!.rps / turn.rps);
      const own = figures.find((figure) => figure.server === 'conflux')!.cpuMsPerRequest;
      const peer = figures.find((figure) => figure.server === name)!.cpuMsPerRequest;
      ratios[name] = { mean: geometricMean(rounds), rounds, cpu: own === null || peer === null || own === 0 ? null : peer / own };
    }
  }
  return { name: scenario.name, description: scenario.description, servers: figures, ratios };
}

/**
 * The order of a round's turns. Turns sent to one process (a server and its `sameProcessAs`
 * aliases) stay together, first the server's own, and their order rotates from round to round:
 * the first of them comes after the process sat idle through the other servers' turns, and is
 * slower for it (quick runs of `errors`: `errors` ÷ `single` 0.75× with `errors` always first,
 * 0.87× with `single` first), so each of them takes that place in turn.
 */
export function turnOrder<T extends { name: ServerName }>(servers: readonly T[], round: number): T[] {
  const shared = servers.filter(({ name }) => sameProcessAs[name] !== undefined || servers.some((other) => sameProcessAs[other.name] === name));
  if (shared.length < 2) return [...servers];
  const shift = round % shared.length;
  const rotated = [...shared.slice(shift), ...shared.slice(0, shift)];
  let next = 0;
  return servers.map((server) => (shared.includes(server) ? rotated[next++]! : server));
}

/** The median, or `null` when any value is missing (CPU time is read on Linux only). */
function medianOf(values: readonly (number | null)[]): number | null {
  return values.some((value) => value === null) ? null : median(values as number[]);
}

/** One request as the scenario sends it, read to the end within 15 s. */
async function answerTo(baseUrl: string, scenario: Scenario): Promise<{ status: number; text: string }> {
  const response = await fetch(`${baseUrl}${scenario.path}`, { method: scenario.method, headers: headersFor(scenario), body: scenario.body ?? null, signal: AbortSignal.timeout(15_000) });
  return { status: response.status, text: await response.text() };
}

/** One request, read to the end; fails loudly on a refused credential or a server error. */
async function probe(baseUrl: string, scenario: Scenario): Promise<void> {
  const { status, text } = await answerTo(baseUrl, scenario);
  if (status === 401 || status >= 500) throw new Error(`${scenario.name} probe at ${baseUrl} answered ${status}: ${text.slice(0, 300)}`);
}

/** Throws unless `single`'s answer from `baseUrl` is the project itself, with no errors: the probe times like for like. */
export async function expectProject(baseUrl: string, scenario: Scenario): Promise<void> {
  const { status, text } = await answerTo(baseUrl, scenario);
  let answer: { data?: { project?: { id?: unknown } }; errors?: unknown } | undefined;
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    answer = undefined;
  }
  if (status !== 200 || answer?.errors !== undefined || answer?.data?.project?.id !== 'p-1') {
    throw new Error(`latency probe: ${baseUrl} answered ${scenario.name} with ${status}: ${text.slice(0, 300)}`);
  }
}

/** The servers every latency probe starts to time beside Conflux: the hop alone, GraphQL's share, the framework's. */
const latencyFloors = ['bare-proxy', 'graphql-floor', 'yoga-floor'] as const satisfies readonly ServerName[];
/** The servers the latency probe times beside Conflux, in this order, when they run. */
const probedBeside: readonly ServerName[] = [...latencyFloors, 'apollo', 'yoga', 'hive'];

async function measureLatency(children: Map<ServerName, Child>, options: BenchOptions, pinning: Pinning | null): Promise<LatencyResult> {
  const direct = scenarios.find((scenario) => scenario.name === 'direct')!;
  const single = scenarios.find((scenario) => scenario.name === 'single')!;
  const others = probedBeside.filter((name) => children.has(name));
  const times = new Map<ServerName, number[]>([['upstream', []], ['conflux', []], ...others.map((name): [ServerName, number[]] => [name, []])]);
  const block = Math.max(1, Math.ceil(options.latencyRequests / 4));
  const probeRequest = (name: ServerName) => (name === 'upstream' ? direct : single);
  // First an unmeasured pass of as many requests each, as every load turn has its warm-up turn.
  // A server warm from load is still slow one request at a time for its first thousand or two
  // (Conflux after 10 s of load: 0.58 ms p50 over its first 1,500, 0.38–0.40 ms after), and the
  // bare proxy, in no load scenario, starts cold.
  for (const name of times.keys()) if (name !== 'upstream') await expectProject(children.get(name)!.url, single);
  const upstream = children.get('upstream')!;
  const timed = (name: ServerName, count: number) =>
    asServerUnderTest(name === 'upstream', upstream, pinning, () => sequentialLatencies(children.get(name)!.url, probeRequest(name), count, 15_000));
  for (const name of times.keys()) await timed(name, options.latencyRequests);
  // Then four blocks each, taking turns, so drift falls on all alike.
  for (let i = 0; i < 4; i++) {
    for (const [name, latencies] of times) latencies.push(...(await timed(name, block)));
  }
  const directP50Ms = median(times.get('upstream')!);
  const confluxP50Ms = median(times.get('conflux')!);
  const othersAddedP50Ms: LatencyResult['othersAddedP50Ms'] = {};
  for (const name of others) othersAddedP50Ms[name] = median(times.get(name)!) - directP50Ms;
  return {
    requests: Math.min(...[...times.values()].map((latencies) => latencies.length)),
    directP50Ms,
    confluxP50Ms,
    addedP50Ms: confluxP50Ms - directP50Ms,
    othersAddedP50Ms,
  };
}

/** The machine's CPU time so far from `/proc/stat` (all cores, in ticks): in all, and stolen. */
function machineCpuTimes(): { total: number; steal: number } | null {
  try {
    const fields = /^cpu\s+(.+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]!.trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already counted in user).
    const counted = fields.slice(0, 8);
    return { total: counted.reduce((sum, value) => sum + value, 0), steal: counted[7] ?? 0 };
  } catch {
    return null; // Not Linux.
  }
}

function machine(cpuAtStart: { total: number; steal: number } | null): BenchResults['machine'] {
  const cpuAtEnd = machineCpuTimes();
  const elapsed = cpuAtStart && cpuAtEnd ? cpuAtEnd.total - cpuAtStart.total : 0;
  const stolenPercent = cpuAtStart && cpuAtEnd && elapsed > 0 ? ((cpuAtEnd.steal - cpuAtStart.steal) / elapsed) * 100 : null;
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    // Not Linux: keep os.cpus()'s model.
  }
  return { cpuModel, cores: cpus().length, node: process.version, platform: `${process.platform} ${process.arch}`, stolenPercent };
}
