/**
 * Prometheus metrics for the Node entry (prom-client): GraphQL requests by operation and outcome,
 * errors by code and upstream service, upstream attempt latency per service, GETs coalesced per
 * service, circuit state per service, and the process's own metrics. Fed by the gateway's
 * observers; served at `GET /metrics` by the plugin it returns. Node only: the edge entry never
 * imports it.
 *
 * Labels hold only names the gateway controls (services, codes, outcomes, methods) and checked
 * GraphQL operation names, never credentials, ids, paths or URLs.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Plugin } from 'graphql-yoga';
import { readOnlyRefusal } from './plugins/read-only-endpoint.js';
import type { RequestReport } from './plugins/use-request-report.js';
import type { CircuitState, UpstreamCallReport, UpstreamClient } from './upstream/client.js';

export interface MetricsOptions {
  /** The path the metrics are served at. @default '/metrics' */
  path?: string;
  /** Distinct operation names kept as labels; later ones are counted as `other`. @default 100 */
  maxOperationNames?: number;
}

export interface Metrics {
  registry: Registry;
  /** For `GatewayOptions.onUpstreamCall`. */
  onUpstreamCall(report: UpstreamCallReport): void;
  /** For `GatewayOptions.onUpstreamCoalesced`. */
  onUpstreamCoalesced(service: string): void;
  /** For `GatewayOptions.onRequestReport`. */
  onRequestReport(report: RequestReport): void;
  /** Reads the circuits of these clients at every scrape. */
  watchCircuits(clients: Readonly<Record<string, UpstreamClient>>): void;
  /** A yoga plugin answering `GET <path>` (and `HEAD`) with the Prometheus text format. */
  plugin: Plugin;
}

const circuitStates: readonly CircuitState[] = ['closed', 'open', 'half-open', 'isolated'];

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const path = options.path ?? '/metrics';
  const maxOperationNames = options.maxOperationNames ?? 100;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'conflux_' });

  const requests = new Counter({
    name: 'conflux_graphql_requests_total',
    help: 'GraphQL requests by operation name (anonymous, other past the cap) and outcome (success, partial, error).',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'conflux_graphql_errors_total',
    help: 'GraphQL errors by extensions.code and the upstream service that caused them (gateway when none).',
    labelNames: ['code', 'service'] as const,
    registers: [registry],
  });
  const upstreamSeconds = new Histogram({
    name: 'conflux_upstream_request_duration_seconds',
    help: 'Upstream attempts by service, method and outcome (ok or the failure kind), in seconds.',
    labelNames: ['service', 'method', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const coalesced = new Counter({
    name: 'conflux_upstream_coalesced_total',
    help: 'GETs by service that joined the same call already in flight for another request instead of being sent.',
    labelNames: ['service'] as const,
    registers: [registry],
  });
  let watched: Readonly<Record<string, UpstreamClient>> = {};
  new Gauge({
    name: 'conflux_upstream_circuit_state',
    help: 'Each upstream circuit: 1 for its current state (closed, open, half-open, isolated), 0 for the others.',
    labelNames: ['service', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [service, client] of Object.entries(watched)) {
        const current = client.circuit().state;
        for (const state of circuitStates) this.set({ service, state }, state === current ? 1 : 0);
      }
    },
  });

  const knownOperations = new Set<string>();
  const operationLabel = (name: string | undefined): string => {
    if (name === undefined) return 'anonymous';
    if (knownOperations.has(name)) return name;
    if (knownOperations.size >= maxOperationNames) return 'other';
    knownOperations.add(name);
    return name;
  };

  return {
    registry,
    onUpstreamCall(report) {
      upstreamSeconds.observe({ service: report.service, method: report.method, outcome: report.outcome }, report.durationMs / 1000);
    },
    onUpstreamCoalesced(service) {
      coalesced.inc({ service });
    },
    onRequestReport(report) {
      // Counted where yoga read the request as GraphQL, on whatever URL it serves GraphQL at.
      if (report.graphql !== true || (report.operationType === undefined && report.errors.length === 0)) return;
      requests.inc({ operation: operationLabel(report.operation), outcome: report.outcome });
      for (const error of report.errors) errors.inc({ code: error.code, service: error.service ?? 'gateway' });
    },
    watchCircuits(clients) {
      watched = clients;
    },
    plugin: {
      async onRequest({ request, url, endResponse, fetchAPI }) {
        if (url.pathname !== path) return;
        const refused = readOnlyRefusal(fetchAPI, request, path);
        if (refused) return endResponse(refused);
        endResponse(new fetchAPI.Response(await registry.metrics(), { status: 200, headers: { 'content-type': registry.contentType } }));
      },
    },
  };
}
