/**
 * The Node transport on its own, against real loopback servers: what an attempt answers, and how
 * it ends when it cannot (cap, timeout, the caller leaving, refused) — each time with the
 * connection closed or left reusable as it should be.
 */
import type { Socket } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createUndiciTransport } from '../../src/upstream/undici-transport.js';
import { isTransportError, type Transport, type TransportRequest } from '../../src/upstream/transport.js';
import { json, refusedPort, waitUntil } from '../support/http-server.js';
import { useTestResources } from '../support/resources.js';

const use = useTestResources();

function transport(connectionsPerOrigin?: number): Transport {
  const made = createUndiciTransport(connectionsPerOrigin === undefined ? {} : { connectionsPerOrigin });
  use.onClose(() => made.close());
  return made;
}

const get = (url: string, overrides: Partial<TransportRequest> = {}): TransportRequest => ({
  method: 'GET',
  url,
  headers: { accept: 'application/json' },
  signal: new AbortController().signal,
  timeoutMs: 5000,
  deadlineAt: Date.now() + 30_000,
  maxBodyBytes: 1024,
  ...overrides,
});

async function failureOf(sending: Promise<unknown>): Promise<string> {
  const error = await sending.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!isTransportError(error)) throw new Error(`expected a transport failure, got ${String(error)}`);
  return error.kind;
}

describe('undici transport', () => {
  it('answers status, lower-case headers (repeated ones joined) and the whole body, over kept-alive connections', async () => {
    const upstream = await use.server((request, response) => {
      response.setHeader('X-Thing', ['a', 'b']);
      json(response, 201, { path: request.url, got: request.headers['x-request-id'] }, { ETag: '"v1"' });
    });
    const send = transport();
    for (let round = 0; round < 6; round++) {
      const answer = await send.send(get(`${upstream.url}/api/v1/things/t-1?page=2`, { headers: { 'x-request-id': `r-${round}` } }));
      expect(answer.status).toBe(201);
      expect(answer.headers['etag']).toBe('"v1"');
      expect(answer.headers['x-thing']).toBe('a, b');
      expect(JSON.parse(Buffer.from(answer.body).toString('utf8'))).toEqual({ path: '/api/v1/things/t-1?page=2', got: `r-${round}` });
    }
    // undici's pool may open a second connection while the first is handed back; never one per call.
    expect(upstream.connections()).toBeLessThanOrEqual(2);
  });

  it('closes an idle connection after its keep-alive time, even when the upstream advertises a longer one', async () => {
    // `Keep-Alive: timeout=120` once made undici keep the connection open for nearly two minutes.
    const upstream = await use.server((_request, response) => json(response, 200, { ok: true }, { 'keep-alive': 'timeout=120' }));
    const shortLived = createUndiciTransport({ keepAliveTimeoutMs: 300 });
    use.onClose(() => shortLived.close());
    const answer = await shortLived.send(get(upstream.url));
    expect(answer.status).toBe(200);
    expect(upstream.openConnections()).toBe(1);
    // The test server itself would close it after 5 s, Node's default.
    await waitUntil(() => upstream.openConnections() === 0, 'the idle connection to close', 3000);
  });

  it('sends the body of a write as given', async () => {
    const upstream = await use.server((request, response) => json(response, 200, { method: request.method, body: request.body }));
    const answer = await transport().send(get(`${upstream.url}/x`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } }));
    expect(JSON.parse(Buffer.from(answer.body).toString('utf8'))).toEqual({ method: 'POST', body: '{"a":1}' });
  });

  describe('an answer compressed though the gateway asked for no compression', () => {
    const text = JSON.stringify({ id: 'c-1', name: 'Zipped' });
    /** A server answering every request with `body` under `Content-Encoding: coding`. */
    const compressed = (coding: string, body: Buffer, status = 200) =>
      use.server((_request, response) => {
        response.writeHead(status, { 'content-type': 'application/json', 'content-encoding': coding, 'content-length': String(body.byteLength) });
        response.end(body);
      });
    const bodyOf = async (url: string, maxBodyBytes = 1024) => Buffer.from((await transport().send(get(url, { maxBodyBytes }))).body).toString('latin1');

    it.each([
      ['gzip', 'gzip', gzipSync(text)],
      ['x-gzip', 'x-gzip', gzipSync(text)],
      ['GZIP, in upper case', 'GZIP', gzipSync(text)],
      ['br', 'br', brotliCompressSync(text)],
      ['deflate', 'deflate', deflateSync(text)],
      ['deflate sent raw, as some servers do', 'deflate', deflateRawSync(text)],
      ['gzip then br, applied in the order listed', 'gzip, br', brotliCompressSync(gzipSync(text))],
      ['identity then gzip', 'identity, gzip', gzipSync(text)],
    ])('%s is decoded', async (_name, coding, body) => {
      const upstream = await compressed(coding, body);
      expect(await bodyOf(upstream.url)).toBe(text);
      // Nothing asked for it: the gateway sends no Accept-Encoding.
      expect(upstream.requests[0]!.headers['accept-encoding']).toBeUndefined();
    });

    it.each([
      ['gzip', gzipSync],
      ['br', brotliCompressSync],
      ['deflate', deflateSync],
      ['deflate', deflateRawSync],
    ] as const)('counts the decoded bytes against the cap: a small %s body that inflates past it is too-large', async (coding, compress) => {
      const bomb = compress(Buffer.alloc(10 * 1024 * 1024, 32));
      expect(bomb.byteLength).toBeLessThan(64 * 1024);
      const upstream = await compressed(coding, bomb);
      expect(await failureOf(transport().send(get(upstream.url, { maxBodyBytes: 64 * 1024 })))).toBe('too-large');
    });

    it.each([
      ['a coding it does not know', 'zstd', Buffer.from('not decoded')],
      ['a known coding listed with an unknown one', 'gzip, compress', gzipSync('left as sent')],
    ])('passes on %s as sent', async (_name, coding, body) => {
      const upstream = await compressed(coding, body, 404);
      const answer = await transport().send(get(upstream.url));
      expect(answer.status).toBe(404);
      expect(Buffer.compare(Buffer.from(answer.body), body)).toBe(0);
    });

    it.each([
      ['gzip', Buffer.from('{"plain":"json"}')],
      ['br', Buffer.from('not brotli')],
      ['deflate', Buffer.from('not deflate')],
    ])('gives no body for data that does not decode as %s, keeping the status, as fetch on the edge does', async (coding, body) => {
      const upstream = await compressed(coding, body, 404);
      const answer = await transport().send(get(upstream.url));
      expect(answer.status).toBe(404);
      expect(answer.body.byteLength).toBe(0);
    });
  });

  it('stops reading past the body cap with too-large, and closes that connection', async () => {
    const sockets: Socket[] = [];
    const upstream = await use.server((_request, response, socket) => {
      sockets.push(socket);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('['.padEnd(4096, ' '));
      // never ends: only the cap can end the attempt
    });
    expect(await failureOf(transport().send(get(`${upstream.url}/big`)))).toBe('too-large');
    await waitUntil(() => sockets.length === 1 && sockets[0]!.destroyed, 'the capped connection to be closed');
  });

  it('ends an attempt with no answer at its timeout, and closes that connection', async () => {
    const sockets: Socket[] = [];
    const upstream = await use.server((_request, _response, socket) => void sockets.push(socket));
    expect(await failureOf(transport().send(get(`${upstream.url}/slow`, { timeoutMs: 100 })))).toBe('timeout');
    await waitUntil(() => sockets.length === 1 && sockets[0]!.destroyed, 'the timed-out connection to be closed');
  });

  it('ends an attempt still waiting for a connection at the deadline, without waiting for one to free up', async () => {
    const upstream = await use.server((request, response) => {
      if (request.url === '/hang') return; // holds the only connection
      json(response, 200, {});
    });
    const send = transport(1);
    let hangingEnded = false;
    const hanging = failureOf(send.send(get(`${upstream.url}/hang`, { timeoutMs: 1000 }))).finally(() => (hangingEnded = true));
    await waitUntil(() => upstream.requests.length === 1, 'the first call to hold the connection');
    expect(await failureOf(send.send(get(`${upstream.url}/queued`, { timeoutMs: 50, deadlineAt: Date.now() + 150 })))).toBe('deadline');
    expect(hangingEnded).toBe(false); // it did not wait for the connection to free up
    expect(upstream.requests.map((request) => request.url)).toEqual(['/hang']);
    expect(await hanging).toBe('timeout');
  });

  it('starts the timeout when the attempt is sent: time queued for a connection is not the upstream’s', async () => {
    const upstream = await use.server((request, response) => {
      if (request.url === '/busy') return void setTimeout(() => json(response, 200, {}), 300); // holds the only connection
      json(response, 200, { answered: request.url });
    });
    const send = transport(1);
    const busy = send.send(get(`${upstream.url}/busy`));
    await waitUntil(() => upstream.requests.length === 1, 'the first call to hold the connection');
    // Queued for about 300 ms, twice its timeout, then answered at once by the upstream.
    const queued = await send.send(get(`${upstream.url}/queued`, { timeoutMs: 150 }));
    expect(JSON.parse(Buffer.from(queued.body).toString('utf8'))).toEqual({ answered: '/queued' });
    expect((await busy).status).toBe(200);
  });

  it('lets dozens of attempts share one request signal without a listener-leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const upstream = await use.server((_request, response) => json(response, 200, {}));
      const signal = new AbortController().signal;
      const send = transport();
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => send.send(get(`${upstream.url}/x${i}`, { signal }))));
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('ends a sent attempt at the deadline when it comes before the timeout', async () => {
    const upstream = await use.server(() => undefined);
    expect(await failureOf(transport().send(get(`${upstream.url}/slow`, { timeoutMs: 5000, deadlineAt: Date.now() + 100 })))).toBe('deadline');
  });

  it('ends the attempt when the caller leaves, and never sends one whose caller has already left', async () => {
    const sockets: Socket[] = [];
    const upstream = await use.server((_request, _response, socket) => void sockets.push(socket));
    const send = transport();
    const leaving = new AbortController();
    const pending = failureOf(send.send(get(`${upstream.url}/a`, { signal: leaving.signal })));
    await waitUntil(() => upstream.requests.length === 1, 'the call to arrive');
    leaving.abort();
    expect(await pending).toBe('aborted');
    await waitUntil(() => sockets[0]!.destroyed, 'the abandoned connection to be closed');

    expect(await failureOf(send.send(get(`${upstream.url}/b`, { signal: leaving.signal })))).toBe('aborted');
    expect(upstream.requests.map((request) => request.url)).toEqual(['/a']);
  });

  it('reports a refused connection as refused and a reset mid-body as reset', async () => {
    expect(await failureOf(transport().send(get(`http://127.0.0.1:${await refusedPort()}/x`)))).toBe('refused');
    const upstream = await use.server((_request, response, socket) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"partial":');
      setTimeout(() => socket.destroy(), 20);
    });
    expect(await failureOf(transport().send(get(`${upstream.url}/x`)))).toBe('reset');
  });
});
