/**
 * Keeps the benchmark from rotting: the quick harness on a tiny duration, checking that every
 * figure is there and that upstream calls are counted right. Never asserts speed.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { allowedList } from '../../bench/cpus.js';
import { expectProject, runBench, turnOrder } from '../../bench/harness.js';
import { renderMarkdown } from '../../bench/report.js';
import { scenarios, type ServerName } from '../../bench/scenarios.js';
import { json } from '../support/http-server.js';
import { useTestResources } from '../support/resources.js';

describe('the benchmark harness', () => {
  // The first run in a clone also installs Hive Gateway's own tree (`bench/peers`): about 30 s.
  it('runs each server in turns and reports req/s, latency, upstream calls, peak RSS and ratios', { timeout: 240_000 }, async () => {
    const ownCpus = allowedList();
    const results = await runBench({
      scenarios: ['direct', 'single', 'errors', 'fanout'],
      rounds: 1,
      durationSec: 1,
      warmupSec: 0,
      connections: 2, // the bound on calls cut short below counts on it
      latencyRequests: 20,
      // The source through tsx: the test must not depend on a prior `npm run build`.
      confluxCommand: [process.execPath, '--import', 'tsx', 'src/main.ts'],
    });

    expect(results.scenarios.map((scenario) => scenario.name)).toEqual(['direct', 'single', 'errors', 'fanout']);
    for (const scenario of results.scenarios) {
      for (const server of scenario.servers) {
        expect(server.turns).toHaveLength(1);
        expect(server.rps, `${scenario.name} ${server.server}`).toBeGreaterThan(0);
        expect(Number.isFinite(server.p50Ms) && Number.isFinite(server.p99Ms)).toBe(true);
        expect(server.non2xx, `${scenario.name} ${server.server}`).toBe(0);
        if (process.platform === 'linux') {
          expect(server.peakRssMb).toBeGreaterThan(0);
          // Every scenario here calls the upstream, whose CPU is read around each turn too.
          expect(server.upstreamCpuMsPerRequest, `${scenario.name} ${server.server}`).toBeGreaterThan(0);
        }
      }
    }
    const calls = (name: string) =>
      Object.fromEntries(results.scenarios.find((scenario) => scenario.name === name)!.servers.map((server) => [server.server, server.callsPerQuery]));
    expect(calls('direct')).toEqual({ upstream: 1 });
    // Conflux runs twice where calls are made: as configured, and with coalescing off ('conflux-solo').
    expect(calls('single')).toEqual({ conflux: 1, yoga: 1, apollo: 1, hive: 1, 'conflux-solo': 1 });
    // Conflux takes turns with itself sent `single` and its own twin query (the same two calls,
    // every id found), so that both of the error path's ratios come from turns side by side.
    expect(calls('errors')).toEqual({ conflux: 2, 'conflux-single': 1, 'conflux-found': 2, yoga: 2, apollo: 2, hive: 2, 'conflux-solo': 2 });
    const errors = results.scenarios.find((scenario) => scenario.name === 'errors')!;
    expect(errors.servers.map((server) => server.server).slice(0, 3)).toEqual(['conflux', 'conflux-single', 'conflux-found']);
    const errorsVersusSingle = results.targets.find((target) => target.name === 'errors: Conflux errors ÷ Conflux single')!;
    expect(errorsVersusSingle.value).toBeGreaterThan(0);
    expect(errorsVersusSingle.value).toBeCloseTo(errors.ratios['conflux-single']!.mean, 10);
    expect(errors.ratios['conflux-found']!.mean).toBeGreaterThan(0);
    // The list, then 5 distinct owners (deduped) and 20 sessions; the naive server and Hive Gateway
    // ask for every project's owner.
    expect(calls('fanout')).toEqual({ conflux: 26, yoga: 41, apollo: 26, hive: 41, 'conflux-solo': 26 });

    const fanout = results.scenarios.find((scenario) => scenario.name === 'fanout')!;
    expect(Object.keys(fanout.ratios).sort()).toEqual(['apollo', 'conflux-solo', 'hive', 'yoga']);
    // Calls per query under load are counted too: not above the lone count (coalescing only
    // removes calls), but for the calls of requests a turn's end cut short: at most one per
    // connection, each with at most the lone count of calls (a slow server completes few
    // requests in a turn this short, so a fixed share would not hold).
    for (const server of fanout.servers) {
      const requests = server.turns.reduce((sum, turn) => sum + turn.requests, 0);
      const cutShort = 2 * server.turns.length;
      expect(server.loadCallsPerQuery, server.server).toBeGreaterThan(0);
      expect(server.loadCallsPerQuery, server.server).toBeLessThanOrEqual((server.callsPerQuery * (requests + cutShort)) / requests);
    }
    expect(results.targets.find((target) => target.name === 'fanout, coalescing off: Conflux ÷ Apollo + RESTDataSource')!.value).toBeGreaterThan(0);
    expect(fanout.ratios.yoga!.rounds).toHaveLength(1);
    expect(fanout.ratios.yoga!.mean).toBeGreaterThan(0);

    expect(results.latency!.requests).toBe(20);
    expect(Number.isFinite(results.latency!.addedP50Ms)).toBe(true);
    // The bare proxy (the hop alone), graphql-yoga alone (the framework's share) and the peers are
    // timed beside it, to read the target against.
    expect(Object.keys(results.latency!.othersAddedP50Ms)).toEqual(['bare-proxy', 'graphql-floor', 'yoga-floor', 'apollo', 'yoga', 'hive']);
    for (const added of Object.values(results.latency!.othersAddedP50Ms)) expect(Number.isFinite(added)).toBe(true);
    const callTarget = results.targets.find((target) => target.name.includes('upstream calls'))!;
    expect(callTarget).toMatchObject({ value: 26, met: true });
    expect(results.targets.find((target) => target.name.startsWith('graphql-only'))).toMatchObject({ value: null, met: null });

    const table = renderMarkdown(results);
    expect(table).toContain('| fanout | Conflux |');
    // The server under test had a core of its own where the machine has two, and the test's
    // process, the load generator's, got its CPUs back after the run.
    if (process.platform === 'linux' && availableParallelism() >= 2) {
      const { pinned } = results.settings;
      expect(pinned).toEqual({ load: expect.any(Number), server: expect.any(Number) });
      expect(pinned!.load).not.toBe(pinned!.server);
      expect(table).toContain(`The server under test runs on a core of its own (CPU ${pinned!.server})`);
    }
    expect(allowedList()).toBe(ownCpus);
    expect(table).toContain(`${results.machine.cores} cores`);
    // How busy the host was during the run, where the kernel says (Linux).
    if (process.platform === 'linux') {
      expect(results.machine.stolenPercent).toBeGreaterThanOrEqual(0);
      expect(results.machine.stolenPercent).toBeLessThanOrEqual(100);
      expect(table).toContain(`held back ${results.machine.stolenPercent!.toFixed(1)} % of its CPU time`);
    }
  });
});

describe('the order of a round', () => {
  const named = (...names: ServerName[]) => names.map((name) => ({ name }));
  const order = (servers: { name: ServerName }[], round: number) => turnOrder(servers, round).map(({ name }) => name);

  it('rotates the turns sent to one process from round to round, the others staying in place', () => {
    const errors = named('conflux', 'conflux-single', 'conflux-found', 'yoga', 'apollo', 'conflux-solo');
    expect(order(errors, 0)).toEqual(['conflux', 'conflux-single', 'conflux-found', 'yoga', 'apollo', 'conflux-solo']);
    expect(order(errors, 1)).toEqual(['conflux-single', 'conflux-found', 'conflux', 'yoga', 'apollo', 'conflux-solo']);
    expect(order(errors, 2)).toEqual(['conflux-found', 'conflux', 'conflux-single', 'yoga', 'apollo', 'conflux-solo']);
    expect(order(errors, 3)).toEqual(order(errors, 0));
  });

  it('leaves a scenario without such turns as it is', () => {
    const single = named('conflux', 'yoga', 'apollo', 'conflux-solo');
    for (const round of [0, 1, 2]) expect(order(single, round)).toEqual(['conflux', 'yoga', 'apollo', 'conflux-solo']);
  });
});

describe('the latency probe', () => {
  const resources = useTestResources();
  const single = scenarios.find((scenario) => scenario.name === 'single')!;
  const answering = async (status: number, body: unknown) => {
    const server = await resources.server((_request, response) => json(response, status, body));
    return server.url;
  };

  it('times a server only once it answers `single` with the project and no errors', async () => {
    await expect(expectProject(await answering(200, { data: { project: { id: 'p-1', name: 'Apollo' } } }), single)).resolves.toBeUndefined();
    // A GraphQL server that fails still answers 200: timed as it is, it would look fast.
    await expect(expectProject(await answering(200, { data: { project: null }, errors: [{ message: 'fetch failed' }] }), single)).rejects.toThrow(/answered single with 200/);
    await expect(expectProject(await answering(200, { data: { project: { id: 'p-1', name: null } }, errors: [{ message: 'name failed', path: ['project', 'name'] }] }), single)).rejects.toThrow(/name failed/);
    await expect(expectProject(await answering(200, { data: { project: { id: 'p-2' } } }), single)).rejects.toThrow(/latency probe/);
    await expect(expectProject(await answering(502, { data: { project: { id: 'p-1' } } }), single)).rejects.toThrow(/with 502/);
  });
});
