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
}

/** Most upstream calls the fan-out may make: the list, 5 distinct owners, 20 projects' sessions. */
export const fanoutCallBudget = 1 + 5 + 20;

export function evaluateTargets(results: readonly ScenarioResult[], latency: LatencyResult | null): Target[] {
  const ratio = (scenario: ScenarioName, peer: ServerName) => results.find((result) => result.name === scenario)?.ratios[peer]?.mean ?? null;
  const figures = (scenario: ScenarioName) => results.find((result) => result.name === scenario)?.servers.find((server) => server.server === 'conflux');
  const atLeast = (name: string, value: number | null, goal: number, unit = '×'): Target => ({
    name,
    goal: `≥ ${goal}${unit}`,
    value,
    unit,
    met: value === null ? null : value >= goal,
  });
  const errors = figures('errors');
  const single = figures('single');
  const fanout = figures('fanout');
  return [
    atLeast('fanout: Conflux ÷ Apollo + RESTDataSource', ratio('fanout', 'apollo'), 3),
    atLeast('fanout: Conflux ÷ naive yoga', ratio('fanout', 'yoga'), 3),
    {
      name: 'fanout: Conflux upstream calls per query',
      goal: `≤ ${fanoutCallBudget}`,
      value: fanout?.callsPerQuery ?? null,
      unit: 'calls',
      met: fanout ? fanout.callsPerQuery <= fanoutCallBudget : null,
    },
    atLeast('single: Conflux ÷ Apollo + RESTDataSource', ratio('single', 'apollo'), 1.5),
    atLeast('single: Conflux ÷ naive yoga', ratio('single', 'yoga'), 1.5),
    atLeast('graphql-only: Conflux ÷ plain yoga', ratio('graphql-only', 'yoga'), 1),
    atLeast('errors: Conflux errors ÷ Conflux single', errors && single ? errors.rps / single.rps : null, 0.9),
    {
      name: 'p50 added over direct, one connection',
      goal: '< 0.5 ms',
      value: latency?.addedP50Ms ?? null,
      unit: 'ms',
      met: latency ? latency.addedP50Ms < 0.5 : null,
    },
  ];
}
