/**
 * The scenarios: what each one sends, and to which servers. Servers take turns within a
 * scenario (A B A B), so a ratio compares turns run side by side.
 */

/**
 * `upstream` is the REST service itself; the others are GraphQL servers over it.
 * `conflux-baseline` is another build of Conflux (`--baseline=<dir>`), to measure a change.
 * `conflux-found` is the same Conflux process sent the scenario's twin query (`bodyFor`), and
 * `conflux-single` the same process sent `single`'s query: ratios against them come from turns
 * run one after the other, where a ratio across scenarios would mix in the drift between them.
 * `conflux-solo` is Conflux with request coalescing off (`UPSTREAM_COALESCE=false`): every
 * request sends its own upstream calls, as it would if each caller had a credential of its own.
 * `bare-proxy` answers `single` by forwarding one GET, no GraphQL: the latency probe's floor.
 * `graphql-floor` answers it with graphql-js's `execute` and that one GET, no framework: GraphQL's own share.
 * `yoga-floor` answers it with graphql-yoga's defaults and that one GET: graphql-yoga's own share.
 * `hive` is Hive Gateway over an OpenAPI description of the upstream (GraphQL Mesh's way).
 */
export type ServerName = 'upstream' | 'conflux' | 'yoga' | 'apollo' | 'conflux-limited' | 'conflux-baseline' | 'conflux-found' | 'conflux-single' | 'conflux-solo' | 'bare-proxy' | 'graphql-floor' | 'yoga-floor' | 'hive';

export type ScenarioName = 'direct' | 'graphql-only' | 'single' | 'errors' | 'fanout' | 'limited';

export interface Scenario {
  name: ScenarioName;
  /** One line for the report. */
  description: string;
  servers: readonly ServerName[];
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  /** Another body for some servers, taking turns with the others as usual. */
  bodyFor?: Partial<Record<ServerName, string>>;
}

export const authorization = 'Bearer demo-admin';

const graphql = (query: string) => ({ method: 'POST' as const, path: '/graphql', body: JSON.stringify({ query }) });
const peers: readonly ServerName[] = ['conflux', 'yoga', 'apollo', 'hive'];
// Where upstream calls are made: Conflux is measured with coalescing off as well.
const callingPeers: readonly ServerName[] = [...peers, 'conflux-solo'];

export const singleQuery = '{ project(id: "p-1") { id name } }';
export const fanoutQuery = '{ projects { id name owner { name } sessions { title } } }';
// One field of two fails: p-404 answers 404 (Problem Details) → NOT_FOUND at ["missing"].
export const errorsQuery = '{ found: project(id: "p-1") { id name } missing: project(id: "p-404") { id name } }';
// Its twin: the same two upstream calls, both found. Errors ÷ this is the error path's own cost.
export const foundQuery = '{ found: project(id: "p-1") { id name } missing: project(id: "p-2") { id name } }';

export const scenarios: readonly Scenario[] = [
  { name: 'direct', description: 'GET /api/v1/projects/p-1 on the upstream itself (the floor)', servers: ['upstream'], method: 'GET', path: '/api/v1/projects/p-1' },
  { name: 'graphql-only', description: '{ __typename }: GraphQL cost alone, no upstream call', servers: peers, ...graphql('{ __typename }') },
  { name: 'single', description: singleQuery, servers: callingPeers, ...graphql(singleQuery) },
  {
    name: 'errors',
    description: `${errorsQuery} (half the fields NOT_FOUND)`,
    // Conflux's comparisons with itself right after its own turn.
    servers: ['conflux', 'conflux-single', 'conflux-found', ...callingPeers.filter((name) => name !== 'conflux')],
    ...graphql(errorsQuery),
    bodyFor: { 'conflux-found': graphql(foundQuery).body, 'conflux-single': graphql(singleQuery).body },
  },
  { name: 'fanout', description: `${fanoutQuery} (20 projects, 5 owners)`, servers: callingPeers, ...graphql(fanoutQuery) },
  { name: 'limited', description: '`single` against a Conflux whose rate-limit budget is being spent', servers: ['conflux-limited'], ...graphql(singleQuery) },
];

export const scenarioNames: readonly ScenarioName[] = scenarios.map((scenario) => scenario.name);

/** Servers that are another server's process, sent another query (`bodyFor`). */
export const sameProcessAs: Partial<Record<ServerName, ServerName>> = { 'conflux-found': 'conflux', 'conflux-single': 'conflux' };

/** The scenario as `server` is sent it. */
export function requestFor(scenario: Scenario, server: ServerName): Scenario {
  const body = scenario.bodyFor?.[server];
  return body === undefined ? scenario : { ...scenario, body };
}

/** Headers every request carries, to every server. */
export function headersFor(scenario: Scenario): Record<string, string> {
  const headers: Record<string, string> = { authorization, accept: 'application/graphql-response+json, application/json' };
  if (scenario.body !== undefined) headers['content-type'] = 'application/json';
  return headers;
}
