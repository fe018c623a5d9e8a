/**
 * Sums up every HTTP request once its response is ready: method, path, operation, status,
 * duration, outcome and the contract codes of its errors. `server.ts` logs each summary with the
 * request id; an embedder may also feed them to metrics. WHATWG only, so it runs on the edge.
 */
import { getOperationAST, parse, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { isErrorCode, type ErrorCode } from '../errors/codes.js';
import { requestIdFor, serverRequestOf } from './use-request-id.js';

/** One finished request. Nothing here comes from a credential; `operation` is a checked GraphQL name. */
export interface RequestReport {
  requestId: string;
  method: string;
  path: string;
  /** The executed operation's name; `undefined` for anonymous operations and non-GraphQL requests. */
  operation?: string;
  /** `query`, `mutation` or `subscription`, when a document was executed. */
  operationType?: string;
  status: number;
  /** From the first plugin hook to the response, in ms; absent when yoga answered before any plugin ran (`/health`). */
  durationMs?: number;
  /** `success` with no errors, `partial` with data and errors, `error` with errors and no data. */
  outcome: 'success' | 'partial' | 'error';
  /** Each error's `extensions.code` and, when an upstream caused it, the service. */
  errors: Array<{ code: ErrorCode; service?: string }>;
  /** yoga took it for a GraphQL request and began to read it (not GraphiQL, a preflight, a 404, `/health`...). */
  graphql?: true;
  /**
   * The request ids of other requests whose upstream calls, still in flight, this one shared
   * rather than send its own (coalescing): the ids the upstream saw on those calls.
   */
  joinedRequestIds?: string[];
}

export interface RequestReportOptions {
  /** Called once per request, after the response is made; it must not throw. */
  onReport: (report: RequestReport) => void;
}

interface Pending {
  startedAt?: number;
  /** The request's path, read from the URL yoga has already parsed. */
  path?: string;
  operation?: string;
  operationType?: string;
  /** `undefined` until a GraphQL result was made. */
  data?: boolean;
  errors: RequestReport['errors'];
  graphql?: true;
  /** The executed request's upstream calls (`GatewayContext.call`), read when the response is made. */
  calls?: { joinedRequestIds?: Set<string> };
  /** The request's GraphQL parameters (a batch's first), kept to name an operation refused before it was parsed. */
  params?: { query?: unknown; operationName?: unknown };
}

const graphqlName = /^[_A-Za-z][_0-9A-Za-z]{0,127}$/;

/** The operation's name (when it has one of at most 128 characters: what a log line and a metric label take) and its type. */
function recordOperation(entry: Pending, operation: ReturnType<typeof getOperationAST>): void {
  const name = operation?.name?.value;
  if (name !== undefined && graphqlName.test(name)) entry.operation = name;
  if (operation) entry.operationType = operation.operation;
}

/** The most tokens read of a document refused before parsing, to name its operation: a name comes early. */
const maxTokensToName = 1000;

/**
 * The operation of a request refused before its document was parsed (its caller's budget spent):
 * read from its parameters, the document parsed up to `maxTokensToName` tokens. Nothing when the
 * document does not parse.
 */
function recordRefusedOperation(entry: Pending): void {
  const { query, operationName } = entry.params ?? {};
  if (typeof query !== 'string') return;
  try {
    recordOperation(entry, getOperationAST(parse(query, { noLocation: true, maxTokens: maxTokensToName }), typeof operationName === 'string' ? operationName : undefined));
  } catch {
    // Not a document (or a long one): the operation stays unnamed, as for any invalid document.
  }
}

/**
 * Statuses the HTTP server sent itself to a request yoga was still reading (Node's 408 for a
 * body cut off at the deadline), by the server's own request object (Node's `IncomingMessage`).
 * yoga's response to such a request never reaches the caller; its request line says what did.
 */
const statusesSentByServer = new WeakMap<object, number>();

/** Records that the HTTP server answered `serverRequest` itself, with `status`. */
export function recordStatusSentByServer(serverRequest: object, status: number): void {
  statusesSentByServer.set(serverRequest, status);
}

/** Whether the HTTP server has answered the request of `serverContext` itself (a 408 at its deadline). */
export function answeredByServer(serverContext: unknown): boolean {
  const serverRequest = serverRequestOf(serverContext);
  return serverRequest !== undefined && statusesSentByServer.has(serverRequest);
}

/**
 * Two plugins sharing one record per request: `start` goes first in the plugin list (it must see
 * requests that an earlier plugin answers at once, such as a refused credential), `finish` after
 * the error contract (it must see the contract's codes).
 */
export function useRequestReport(options: RequestReportOptions): { start: Plugin; finish: Plugin } {
  const pending = new WeakMap<Request, Pending>();
  const start: Plugin = {
    onRequest({ request, url }) {
      pending.set(request, { startedAt: performance.now(), path: url.pathname, errors: [] });
    },
    // yoga reads only what it serves as GraphQL: whatever it answers before (GraphiQL, a
    // preflight, a 404 for a URL it does not serve) never comes here.
    onRequestParse({ request }) {
      const entry = pending.get(request);
      if (entry !== undefined) entry.graphql = true;
    },
  };
  const finish: Plugin = {
    // Every plugin's `onParams` runs, even after one refused the operation (its budget spent).
    onParams({ request, params }) {
      const entry = pending.get(request);
      if (entry !== undefined) entry.params ??= params;
    },
    // An operation refused by validation never executes: its name, when it has one, is read here.
    onValidate({ params, context }) {
      return ({ valid }) => {
        if (valid) return;
        const { request, params: graphqlParams } = context as { request?: Request; params?: { operationName?: unknown } };
        const entry = request === undefined ? undefined : pending.get(request);
        if (entry === undefined) return;
        const operationName = typeof graphqlParams?.operationName === 'string' ? graphqlParams.operationName : undefined;
        recordOperation(entry, getOperationAST(params.documentAST, operationName));
      };
    },
    onExecute({ args }) {
      const { request, call } = args.contextValue as { request?: Request; call?: Pending['calls'] };
      const entry = request === undefined ? undefined : pending.get(request);
      if (entry === undefined) return;
      if (call !== undefined) entry.calls = call;
      recordOperation(entry, getOperationAST(args.document, args.operationName ?? undefined));
    },
    onResultProcess({ request, result }) {
      const entry = pending.get(request);
      if (entry === undefined) return;
      // An incremental result (a stream) is summed up by its status alone.
      const results = (Array.isArray(result) ? result : [result]).filter((item): item is ExecutionResult => typeof item === 'object' && item !== null && !(Symbol.asyncIterator in item));
      for (const item of results) {
        entry.data = (entry.data ?? false) || (item.data !== undefined && item.data !== null);
        for (const error of item.errors ?? []) {
          const { code, upstream } = error.extensions ?? {};
          const service = typeof upstream === 'object' && upstream !== null ? (upstream as { service?: unknown }).service : undefined;
          const counted: RequestReport['errors'][number] = { code: isErrorCode(code) ? code : 'INTERNAL_SERVER_ERROR' };
          if (typeof service === 'string') counted.service = service;
          entry.errors.push(counted);
        }
      }
    },
    onResponse({ request, response, serverContext }) {
      const entry: Pending = pending.get(request) ?? { errors: [] };
      pending.delete(request);
      // Neither validated nor executed, though it had parameters: refused before parsing.
      if (entry.operationType === undefined && entry.params !== undefined) recordRefusedOperation(entry);
      const serverRequest = serverRequestOf(serverContext);
      const status = (serverRequest === undefined ? undefined : statusesSentByServer.get(serverRequest)) ?? response.status;
      // A response made before any result (a refused credential, a bad HTTP request) still counts as its error.
      if (entry.data === undefined && status >= 400) entry.errors.push({ code: codeForStatus(status) });
      const outcome = entry.errors.length === 0 ? 'success' : entry.data ? 'partial' : 'error';
      const report: RequestReport = { requestId: requestIdFor(request), method: request.method, path: entry.path ?? new URL(request.url).pathname, status, outcome, errors: entry.errors };
      // Optional members are set apart: in V8 a property after a spread in an object literal
      // takes a slow path (about 1 µs each), and this runs on every request.
      if (entry.operation !== undefined) report.operation = entry.operation;
      if (entry.operationType !== undefined) report.operationType = entry.operationType;
      if (entry.startedAt !== undefined) report.durationMs = Math.round((performance.now() - entry.startedAt) * 10) / 10;
      if (entry.graphql) report.graphql = true;
      const joined = entry.calls?.joinedRequestIds;
      if (joined !== undefined) report.joinedRequestIds = [...joined];
      options.onReport(report);
    },
  };
  return { start, finish };
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  return status < 500 ? 'VALIDATION_ERROR' : 'INTERNAL_SERVER_ERROR';
}
