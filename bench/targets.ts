/**
 * The targets, checked against one run's figures. A target whose scenario was not run
 * is reported as not measured, never as met.
 */
import type { LatencyResult, ScenarioResult } from './harness.js';
import type { ScenarioName, ServerName } from './scenarios.js';

export interface Target {
  name: string;
  goal: string;
  /** The measured figure, `null` when its scenario was not run. */
  value: number | null;
  unit: string;
  met: boolean | null;
  /** The same ratio from CPU time per request instead of req/s, when it is a ratio. */
  byCpu: number | null;
}

/** Most upstream calls the fan-out may make: the list, 5 distinct owners, 20 projects' sessions. */
export const fanoutCallBudget = 1 + 5 + 20;

export function evaluateTargets(results: readonly ScenarioResult[], latency: LatencyResult | null): Target[] {
  const ratios = (scenario: ScenarioName, peer: ServerName) => results.find((result) => result.name === scenario)?.ratios[peer];
  const figures = (scenario: ScenarioName) => results.find((result) => result.name === scenario)?.servers.find((server) => server.server === 'conflux');
  const atLeast = (name: string, value: number | null, byCpu: number | null, goal: number): Target => ({
    name,
    goal: `≥ ${goal}×`,
    value,
    unit: '×',
    met: value === null ? null : value >= goal,
    byCpu,
  });
  const versus = (name: string, scenario: ScenarioName, peer: ServerName, goal: number) =>
    atLeast(name, ratios(scenario, peer)?.mean ?? null, ratios(scenario, peer)?.cpu ?? null, goal);
  // The same ratio for Conflux with coalescing off: (Conflux ÷ peer) ÷ (Conflux ÷ Conflux solo), round by round.
  const solo = (name: string, scenario: ScenarioName, peer: ServerName, goal: number) => {
    const against = ratios(scenario, peer);
    const own = ratios(scenario, 'conflux-solo');
    if (!against || !own) return atLeast(name, null, null, goal);
    return atLeast(name, against.mean / own.mean, against.cpu !== null && own.cpu !== null ? against.cpu / own.cpu : null, goal);
  };
  const fanout = figures('fanout');
  return [
    versus('fanout: Conflux ÷ Apollo + RESTDataSource', 'fanout', 'apollo', 3),
    versus('fanout: Conflux ÷ naive yoga', 'fanout', 'yoga', 3),
    {
      name: 'fanout: Conflux upstream calls per query',
      goal: `≤ ${fanoutCallBudget}`,
      value: fanout?.callsPerQuery ?? null,
      unit: 'calls',
      met: fanout ? fanout.callsPerQuery <= fanoutCallBudget : null,
      byCpu: null,
    },
    versus('single: Conflux ÷ Apollo + RESTDataSource', 'single', 'apollo', 1.5),
    versus('single: Conflux ÷ naive yoga', 'single', 'yoga', 1.5),
    versus('graphql-only: Conflux ÷ plain yoga', 'graphql-only', 'yoga', 1),
    versus('errors: Conflux errors ÷ Conflux single', 'errors', 'conflux-single', 0.9),
    versus('errors: Conflux errors ÷ the same query with every id found', 'errors', 'conflux-found', 0.9),
    solo('fanout, coalescing off: Conflux ÷ Apollo + RESTDataSource', 'fanout', 'apollo', 3),
    solo('fanout, coalescing off: Conflux ÷ naive yoga', 'fanout', 'yoga', 3),
    solo('single, coalescing off: Conflux ÷ Apollo + RESTDataSource', 'single', 'apollo', 1.5),
    solo('single, coalescing off: Conflux ÷ naive yoga', 'single', 'yoga', 1.5),
    {
      name: 'p50 added over direct, one connection',
      goal: '< 0.5 ms',
      value: latency?.addedP50Ms ?? null,
      unit: 'ms',
      met: latency ? latency.addedP50Ms < 0.5 : null,
      byCpu: null,
    },
  ];
}
