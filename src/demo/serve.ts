/**
 * Runs one demo service definition as a real `node:http` server: reads the body, records the
 * request, routes, authenticates, parses JSON, calls the handler and renders failures in the
 * service's dialect. Every answer echoes the caller's `x-request-id`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DemoDialect } from './dialects.js';
import { failure, headerValue, internalFailure, roleFor, bearerKey, type DemoError, type DemoOutcome } from './http.js';
import { decodeSegments, matchRoute, normalizeBasePath, splitTarget, type DemoRoute } from './router.js';

/** The largest request body read, in bytes; a larger one is answered with 413. */
export const maxDemoBodyBytes = 1024 * 1024;

/** What makes one demo service: its dialect, routes and its own wording of the common failures. */
export interface DemoServiceDefinition {
  dialect: DemoDialect;
  routes: readonly DemoRoute[];
  /** The answer to a missing, unknown or expired key. */
  unauthorized: DemoError;
  /** The answer to a write made with a read-only key. */
  readOnly: DemoError;
  /** The code of unexpected failures; @default 'internal_error' */
  internalCode?: string;
}

/**
 * The log keeps the latest requests only: it lives as long as the gateway that embeds the demo
 * services, and anyone could fill it (1 MB bodies, no key needed). Past `maxLoggedRequests`,
 * the oldest half is dropped; each body is kept to `maxLoggedBodyChars`.
 */
export const maxLoggedRequests = 5000;
export const maxLoggedBodyChars = 4096;

/** One received request, as kept in a service's log. */
export interface DemoRequestRecord {
  method: string;
  /** The raw request target: path and query. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text, cut at `maxLoggedBodyChars`. */
  body: string;
}

/** Where and how a demo service listens. */
export interface DemoServiceOptions {
  /** Interface to bind; @default '127.0.0.1' */
  host?: string;
  /** Port to bind, 0 for a free one; @default 0 */
  port?: number;
  /** A path prefix before `/api/v1`, e.g. `/svc`; the service URL includes it. @default '' */
  basePath?: string;
}

/** A listening demo server. */
export interface RunningDemoServer {
  /** Base URL without a trailing slash, path prefix included. */
  url: string;
  requests: DemoRequestRecord[];
  close(): Promise<void>;
}

const writeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

async function readBody(request: IncomingMessage): Promise<{ text: string; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxDemoBodyBytes) tooLarge = true;
    else chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), tooLarge };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    // SyntaxError: the body is not JSON; the caller answers 400.
    return { ok: false };
  }
}

async function outcomeFor(
  definition: DemoServiceDefinition,
  request: IncomingMessage,
  target: { path: string; query: string },
  basePath: string,
  body: { text: string; tooLarge: boolean },
): Promise<DemoOutcome> {
  const method = (request.method ?? 'GET').toUpperCase();
  const { path } = target;
  if (basePath !== '' && path !== basePath && !path.startsWith(`${basePath}/`)) {
    return failure(404, 'not_found', `No route for ${method} ${path}`);
  }
  const segments = decodeSegments(path.slice(basePath.length));
  if (!segments) return failure(400, 'bad_request', 'The request path is not valid percent-encoding');
  const match = matchRoute(definition.routes, method, segments);
  if (match.kind === 'none') return failure(404, 'not_found', `No route for ${method} ${path}`);
  if (match.kind === 'wrong-method') {
    return failure(405, 'method_not_allowed', `Method ${method} is not allowed here`, { headers: { allow: match.allow.join(', ') } });
  }
  const authorization = headerValue(request.headers, 'authorization');
  const role = roleFor(authorization);
  if (!role) return definition.unauthorized;
  if (role === 'reader' && writeMethods.has(method)) return definition.readOnly;
  if (body.tooLarge) return failure(413, 'payload_too_large', `The request body exceeds ${maxDemoBodyBytes} bytes`);
  const parsed = writeMethods.has(method) ? parseJson(body.text) : { ok: true as const, value: undefined };
  if (!parsed.ok) return failure(400, 'bad_request', 'The request body is not valid JSON');
  return match.route.handle({
    method,
    path,
    params: match.params,
    query: new URLSearchParams(target.query),
    headers: request.headers,
    apiKey: bearerKey(authorization) ?? '',
    role,
    body: parsed.value,
  });
}

function send(response: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const hasBody = body !== undefined && status !== 204 && status !== 304;
  const payload = hasBody ? JSON.stringify(body) : '';
  if (hasBody) headers['content-length'] = String(Buffer.byteLength(payload));
  response.writeHead(status, headers);
  response.end(payload);
}

async function handle(definition: DemoServiceDefinition, basePath: string, log: DemoRequestRecord[], request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readBody(request);
  const rawUrl = request.url ?? '/';
  if (log.length >= maxLoggedRequests) log.splice(0, maxLoggedRequests / 2);
  log.push({ method: request.method ?? '', path: rawUrl, headers: { ...request.headers }, body: body.text.slice(0, maxLoggedBodyChars) });
  const target = splitTarget(rawUrl);
  let outcome: DemoOutcome;
  try {
    outcome = await outcomeFor(definition, request, target, basePath, body);
  } catch {
    // A handler bug must still answer in the dialect, like a real service's 500.
    outcome = internalFailure(definition.internalCode);
  }
  const headers: Record<string, string> = {};
  const requestId = headerValue(request.headers, 'x-request-id');
  if (requestId !== undefined) headers['x-request-id'] = requestId;
  if (outcome.kind === 'reply') {
    Object.assign(headers, outcome.headers);
    if (outcome.body !== undefined) headers['content-type'] = 'application/json';
    send(response, outcome.status, headers, outcome.body);
    return;
  }
  const rendered = definition.dialect(outcome, target.path);
  Object.assign(headers, rendered.headers, { 'content-type': rendered.contentType });
  send(response, rendered.status, headers, rendered.body);
}

/** Starts `definition` on a real HTTP server and resolves once it listens. */
export async function serveDemo(definition: DemoServiceDefinition, options: DemoServiceOptions = {}): Promise<RunningDemoServer> {
  const host = options.host ?? '127.0.0.1';
  const basePath = normalizeBasePath(options.basePath);
  const requests: DemoRequestRecord[] = [];
  const server = createServer((request, response) => {
    handle(definition, basePath, requests, request, response).catch(() => {
      // The client went away mid-request (or the socket broke); there is no one left to answer.
      if (!response.writableEnded) response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostInUrl}:${port}${basePath}`,
    requests,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
