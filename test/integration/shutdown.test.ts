/**
 * SIGTERM under load: the real entry point (`node --import tsx src/main.ts`) serving requests
 * that wait on a slow upstream stops accepting new connections, answers every request already
 * in flight, and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { json, startTestServer, type TestServer } from '../support/http-server.js';
import { send } from '../support/raw-http.js';

let child: ChildProcess | undefined;
let upstream: TestServer | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await upstream?.close();
  child = upstream = undefined;
});

const inFlight = 12;
const upstreamDelayMs = 1500;

/** Resolves with the first stderr line (where the start and stop lines go) matching `pattern` (bounded by the test's timeout). */
function lineMatching(process: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const match = pattern.exec(buffered);
      if (match) {
        process.stderr!.off('data', onData);
        resolve(match);
      }
    };
    process.stderr!.on('data', onData);
    process.once('exit', (code) => reject(new Error(`exited with ${code} before printing ${pattern}: ${buffered}`)));
  });
}

async function until(condition: () => boolean, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  if (!condition()) throw new Error('condition never held');
}

describe('SIGTERM', () => {
  it('finishes every in-flight request, refuses new connections and exits 0', async () => {
    upstream = await startTestServer((request, response) => {
      const id = request.url.split('/').at(-1)!;
      setTimeout(() => json(response, 200, { id, name: `Project ${id}` }), upstreamDelayMs);
    });
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', PROJECTS_URL: upstream.url, RATE_LIMIT_OPERATIONS: 'off', LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '20000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const [, url] = await lineMatching(child, /serving GraphiQL at (http:\/\/[^/\s]+)\/graphql/);

    const replies = Array.from({ length: inFlight }, (_, i) =>
      send(url!, {
        headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin', connection: 'keep-alive' },
        body: JSON.stringify({ query: `{ project(id: "p-${i}") { name } }` }),
      }),
    );
    await until(() => upstream!.requests.length === inFlight);

    const stopping = lineMatching(child, /received SIGTERM/);
    child.kill('SIGTERM');
    await stopping;
    await expect(send(url!, { headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' }, body: '{"query":"{ __typename }"}' })).rejects.toThrow(/ECONNREFUSED|ECONNRESET|socket hang up/);

    const answered = await Promise.all(replies);
    answered.forEach((reply, i) => {
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.text)).toEqual({ data: { project: { name: `Project p-${i}` } } });
      // A kept-alive client must not send its next request down a connection that is going away.
      expect(reply.headers.get('connection')).toBe('close');
    });
    expect(await exited).toBe(0);
    // At LOG_LEVEL=silent nothing at all reaches stdout: the start and stop lines are on stderr.
    expect(stdout).toBe('');
  });

  it('answers requests still waiting on an upstream when the grace period ends: GATEWAY_TIMEOUT there, data elsewhere', async () => {
    // The upstream never answers within the request's deadline (30 s) or its timeout (20 s); the
    // grace period (1.5 s) ends first. Cut then, every caller saw a closed socket and no answer.
    upstream = await startTestServer(() => undefined);
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', KNOWLEDGE_URL: upstream.url, RATE_LIMIT_OPERATIONS: 'off', LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '1500', UPSTREAM_TIMEOUT_MS: '20000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const [, url] = await lineMatching(child, /serving GraphiQL at (http:\/\/[^/\s]+)\/graphql/);
    const replies = Array.from({ length: 4 }, (_, i) =>
      send(url!, {
        headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' },
        body: JSON.stringify({ query: `{ context(id: "c-${i}") { name } project(id: "p-1") { name } }` }),
      }),
    );
    await until(() => upstream!.requests.length === 4);
    const stoppedAt = Date.now();
    child.kill('SIGTERM');

    for (const reply of await Promise.all(replies)) {
      expect(reply.status).toBe(200);
      const body = JSON.parse(reply.text);
      expect(body.data).toEqual({ context: null, project: { name: 'Atlas' } });
      expect(body.errors).toEqual([expect.objectContaining({ path: ['context'], extensions: expect.objectContaining({ code: 'GATEWAY_TIMEOUT', status: 504 }) })]);
    }
    expect(await exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
  });

  it('stops a retry waiting on a long Retry-After when the grace period ends, and answers with the upstream failure', async () => {
    // A 503 asking for 20 s fits in the request's 30 s deadline, so the gateway waits to retry;
    // the grace period (1.5 s) ends long before. Waiting on, the caller saw a closed socket.
    upstream = await startTestServer((_request, response) => {
      response.setHeader('retry-after', '20');
      json(response, 503, { error: { code: 'unavailable', message: 'warming up' } });
    });
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', KNOWLEDGE_URL: upstream.url, RATE_LIMIT_OPERATIONS: 'off', LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '1500' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const [, url] = await lineMatching(child, /serving GraphiQL at (http:\/\/[^/\s]+)\/graphql/);
    const replies = Array.from({ length: 3 }, (_, i) =>
      send(url!, {
        headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' },
        body: JSON.stringify({ query: `{ context(id: "c-${i}") { name } project(id: "p-1") { name } }` }),
      }),
    );
    await until(() => upstream!.requests.length === 3);
    const stoppedAt = Date.now();
    child.kill('SIGTERM');

    for (const reply of await Promise.all(replies)) {
      expect(reply.status).toBe(200);
      const body = JSON.parse(reply.text);
      expect(body.data).toEqual({ context: null, project: { name: 'Atlas' } });
      expect(body.errors).toEqual([
        expect.objectContaining({
          path: ['context'],
          extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', status: 503, retryAfter: 20 }),
        }),
      ]);
    }
    expect(await exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    // Stopped, not retried: one attempt per call.
    expect(upstream.requests).toHaveLength(3);
  });
});
