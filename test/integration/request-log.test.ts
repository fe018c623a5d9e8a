/**
 * One structured log line per request, carrying its request id, and withheld upstream detail
 * logged under the same id: through the logger interface, and as pino JSON lines on the real
 * process's stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { waitUntil } from '../support/http-server.js';
import { recordStatusSentByServer } from '../../src/plugins/use-request-report.js';

/** Opens a raw connection to `url` and sends the head of a POST whose body never arrives whole. */
async function postWithoutWholeBody(url: string, headers: string[]): Promise<{ socket: Socket; received: () => string }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  const head = ['POST /graphql HTTP/1.1', 'Host: 127.0.0.1', 'Authorization: Bearer demo-admin', 'Content-Type: application/json', 'Content-Length: 100', ...headers];
  socket.write(`${head.join('\r\n')}\r\n\r\n{"query":`);
  return { socket, received: () => received };
}

describe('request log through the logger', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.stop(0));

  it('logs method, operation, status, duration, outcome and codes with the request id', async () => {
    const reply = await gateway.graphql('query Sessions { project(id: "p-5") { name sessions { title } } }', { headers: { 'x-request-id': 'log-test-1' } });
    expect(reply.body.errors?.[0]?.extensions['code']).toBe('UPSTREAM_ERROR');
    const lines = gateway.logger.entries.filter((entry) => entry.message === 'request' && entry.fields['requestId'] === 'log-test-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      fields: { method: 'POST', path: '/graphql', operation: 'Sessions', operationType: 'query', status: 200, outcome: 'partial', errorCodes: ['UPSTREAM_ERROR'] },
    });
    expect(lines[0]!.fields['durationMs']).toEqual(expect.any(Number));
    // The upstream's own words (its internal request id) are withheld from the client and logged.
    const withheld = gateway.logger.entries.filter((entry) => entry.level === 'warn' && entry.fields['requestId'] === 'log-test-1');
    expect(withheld.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(withheld[0]!.fields)).toContain('projects');
  });

  it('names an operation that validation refused, as it names one that ran', async () => {
    const reply = await gateway.graphql('query NamedButInvalid { nope }', { headers: { 'x-request-id': 'log-test-named' } });
    expect(reply.body.errors?.[0]?.extensions['code']).toBe('VALIDATION_ERROR');
    const line = gateway.logger.entries.find((entry) => entry.message === 'request' && entry.fields['requestId'] === 'log-test-named');
    expect(line?.fields).toMatchObject({ operation: 'NamedButInvalid', operationType: 'query', outcome: 'error', errorCodes: ['VALIDATION_ERROR'] });
  });

  it('names an operation refused before it was parsed, its caller\'s budget spent', async () => {
    const limited = await startTestGateway({ RATE_LIMIT_OPERATIONS: '1/1h' });
    try {
      await limited.graphql('{ __typename }');
      const refused = await limited.graphql('query Named429 { __typename }', { headers: { 'x-request-id': 'log-test-429' } });
      expect(refused.status).toBe(429);
      const chosen = await limited.graphql('query A { __typename } query B { __typename }', { operationName: 'B', headers: { 'x-request-id': 'log-test-429b' } });
      expect(chosen.status).toBe(429);
      const lineOf = (id: string) => limited.logger.entries.find((entry) => entry.message === 'request' && entry.fields['requestId'] === id)?.fields;
      expect(lineOf('log-test-429')).toMatchObject({ operation: 'Named429', operationType: 'query', status: 429, errorCodes: ['RATE_LIMITED'] });
      expect(lineOf('log-test-429b')).toMatchObject({ operation: 'B', status: 429 });
    } finally {
      await limited.stop(0);
    }
  });

  it('logs a refused credential and a health probe too, the probe at debug', async () => {
    await gateway.graphql('{ projects { id } }', { authorization: null, headers: { 'x-request-id': 'log-test-2' } });
    await (await fetch(`${gateway.url}/health`, { headers: { 'x-request-id': 'log-test-3' } })).arrayBuffer();
    const refused = gateway.logger.entries.find((entry) => entry.message === 'request' && entry.fields['requestId'] === 'log-test-2');
    expect(refused).toMatchObject({ level: 'info', fields: { status: 401, outcome: 'error', errorCodes: ['UNAUTHENTICATED'] } });
    const probe = gateway.logger.entries.find((entry) => entry.message === 'request' && entry.fields['requestId'] === 'log-test-3');
    expect(probe).toMatchObject({ level: 'debug', fields: { method: 'GET', path: '/health', status: 200, outcome: 'success' } });
  });

  it('logs a caller that closes the connection mid-body as its 400, not as a gateway bug', async () => {
    const arrived = new Promise((resolve) => gateway.server.once('request', resolve));
    const { socket } = await postWithoutWholeBody(gateway.url, ['x-request-id: log-test-gone']);
    await arrived;
    socket.destroy();
    const line = () => gateway.logger.entries.find((entry) => entry.message === 'request' && entry.fields['requestId'] === 'log-test-gone');
    await waitUntil(() => line() !== undefined, 'the request line');
    expect(line()).toMatchObject({ level: 'info', fields: { status: 400, outcome: 'error', errorCodes: ['VALIDATION_ERROR'] } });
    expect(gateway.logger.entries.filter((entry) => entry.level === 'error' && entry.fields['requestId'] === 'log-test-gone')).toEqual([]);
  });

  it('gives a body cut off at the deadline its 408 and its request line one request id', async () => {
    const slow = await startTestGateway({ REQUEST_DEADLINE_MS: '1000' });
    try {
      const { socket, received } = await postWithoutWholeBody(slow.url, []);
      await waitUntil(() => received().includes('\r\n\r\n'), 'the 408', 5000);
      socket.destroy();
      expect(received()).toMatch(/^HTTP\/1\.1 408 /);
      const requestId = /x-request-id: (\S+)/i.exec(received())?.[1];
      expect(requestId).toBeDefined();
      const line = () => slow.logger.entries.find((entry) => entry.message === 'request' && entry.fields['requestId'] === requestId);
      await waitUntil(() => line() !== undefined, 'a request line with the id the caller got');
      expect(line()).toMatchObject({ level: 'info', fields: { status: 408, outcome: 'error', errorCodes: ['VALIDATION_ERROR'] } });
      expect(slow.logger.entries.filter((entry) => entry.level === 'error')).toEqual([]);
    } finally {
      await slow.stop(0);
    }
  });

  it.each([
    ['a small body', 100],
    ['a body larger than a socket read', 200_000],
  ])('runs nothing of a request it answered with a 408, even when the rest of %s comes after', async (_name, length) => {
    const slow = await startTestGateway({ REQUEST_DEADLINE_MS: '1000' });
    try {
      // A caller that keeps its side open after the gateway's: it goes on sending.
      const { hostname, port } = new URL(slow.url);
      const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: true });
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString()));
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      const head = ['POST /graphql HTTP/1.1', 'Host: 127.0.0.1', 'Authorization: Bearer demo-admin', 'Content-Type: application/json', `Content-Length: ${length}`, `x-request-id: log-test-late-body-${length}`];
      socket.write(`${head.join('\r\n')}\r\n\r\n{"query":`);
      await waitUntil(() => received.includes('\r\n\r\n'), 'the 408', 5000);
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
      // The rest of the bytes it announced: a whole operation, now.
      socket.write('"{ __typename }"}'.padEnd(length - '{"query":'.length, ' '));
      const line = () => slow.logger.entries.find((entry) => entry.message === 'request' && entry.fields['requestId'] === `log-test-late-body-${length}`);
      await waitUntil(() => line() !== undefined, 'the request line');
      expect(line()).toMatchObject({ fields: { status: 408, outcome: 'error', errorCodes: ['VALIDATION_ERROR'] } });
      expect(line()!.fields['operationType']).toBeUndefined();
      socket.destroy();
    } finally {
      await slow.stop(0);
    }
  });

  it('does not run a request whose body Node read whole after the server had answered it', async () => {
    // The race the pause above leaves: Node resumes a paused socket when the body is read, so a
    // late body can still complete. Here the server's own answer is recorded first, as the 408 does.
    const serverRequest = {};
    recordStatusSentByServer(serverRequest, 408);
    const before = gateway.demo!.services.projects!.requests.length;
    const request = new Request(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: 'Bearer demo-admin', 'x-request-id': 'log-test-answered' },
      body: JSON.stringify({ query: '{ project(id: "p-1") { name } }' }),
    });
    const reply = (await (await gateway.gateway.fetch(request, { req: serverRequest })).json()) as { data?: unknown; errors: Array<{ extensions: { code: string } }> };
    expect(reply.data).toBeUndefined();
    expect(reply.errors.map((error) => error.extensions.code)).toEqual(['VALIDATION_ERROR']);
    expect(gateway.demo!.services.projects!.requests.length).toBe(before);
    // The process writes its request line once the response is on its way (`afterResponse`).
    await new Promise((resolve) => setImmediate(resolve));
    const line = gateway.logger.entries.find((entry) => entry.message === 'request' && entry.fields['requestId'] === 'log-test-answered');
    expect(line).toMatchObject({ fields: { status: 408, outcome: 'error', errorCodes: ['VALIDATION_ERROR'] } });
    // Named like any operation refused before it ran; that it did not run is the count above.
    expect(line!.fields['operationType']).toBe('query');
  });

  it('answers before it writes the request line, which then follows', async () => {
    const request = new Request(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin', 'x-request-id': 'log-test-after' },
      body: JSON.stringify({ query: '{ project(id: "p-1") { name } }' }),
    });
    const logged = () => gateway.logger.entries.find((entry) => entry.message === 'request' && entry.fields['requestId'] === 'log-test-after');
    const response = await gateway.gateway.fetch(request);
    expect(response.status).toBe(200);
    // The response is made without waiting for the line: formatting it is not part of the latency.
    expect(logged()).toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));
    expect(logged()).toMatchObject({ level: 'info', fields: { status: 200, outcome: 'success' } });
  });

  it('never logs the credential', () => {
    expect(JSON.stringify(gateway.logger.entries)).not.toContain('demo-admin');
  });
});

describe('request log of the running process', () => {
  let child: ChildProcess;
  const lines: string[] = [];
  let url: string;

  beforeAll(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', RATE_LIMIT_OPERATIONS: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
    // The start line is for a person, on stderr; stdout holds JSON lines only.
    const starting = createInterface({ input: child.stderr! });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line within 20 s; stdout: ${lines.join('\n')}`)), 20_000);
      child.once('exit', (code) => reject(new Error(`main.ts exited with ${code}`)));
      starting.on('line', (line) => {
        const match = /serving GraphiQL at (http:\/\/\S+)\/graphql/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
  });
  afterAll(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });

  it('writes one JSON line per request with its request id, and withheld detail under the same id', async () => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin', 'x-request-id': 'process-log-1' },
      body: JSON.stringify({ query: 'query Broken { user(id: "u-broken") { name } }' }),
    });
    expect((await response.json()).errors[0].extensions.code).toBe('UPSTREAM_ERROR');
    const deadline = Date.now() + 10_000;
    const ours = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry['requestId'] === 'process-log-1');
    while (!ours().some((entry) => entry['msg'] === 'request') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const entries = ours();
    expect(entries.find((entry) => entry['msg'] === 'request')).toMatchObject({ level: 30, method: 'POST', operation: 'Broken', status: 200, outcome: 'partial', errorCodes: ['UPSTREAM_ERROR'] });
    expect(entries.find((entry) => entry['level'] === 40)).toMatchObject({ requestId: 'process-log-1', service: 'directory' });
    expect(lines.join('\n')).not.toContain('demo-admin');
  });
});
