/**
 * Connections from callers, over real sockets: how long an idle keep-alive connection stays open
 * is what the gateway advertises in `Keep-Alive`, and it closes the connection when that ends.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useTestResources } from '../support/resources.js';

const use = useTestResources();

/** The `Keep-Alive` header of a kept-alive answer to `GET /health`. */
async function keepAliveHeader(url: string): Promise<string | null> {
  const reply = await fetch(`${url}/health`);
  await reply.body?.cancel();
  expect(reply.status).toBe(200);
  return reply.headers.get('keep-alive');
}

describe('keep-alive to callers', () => {
  it("advertises Node's 5 s by default", async () => {
    const gateway = await use.gateway();
    expect(await keepAliveHeader(gateway.url)).toBe('timeout=5');
  });

  it('advertises KEEP_ALIVE_TIMEOUT_MS, for a load balancer that keeps its own connections longer', async () => {
    const gateway = await use.gateway({ KEEP_ALIVE_TIMEOUT_MS: '65000' });
    expect(await keepAliveHeader(gateway.url)).toBe('timeout=65');
  });

  it('closes an idle connection once KEEP_ALIVE_TIMEOUT_MS has passed', async () => {
    const gateway = await use.gateway({ KEEP_ALIVE_TIMEOUT_MS: '200' });
    const socket = connect(Number(new URL(gateway.url).port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    // Bounded by the test's timeout: a connection never closed fails the test.
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });
});

/** The status line of the answer to `head` (a request line and headers), sent on a socket of its own. */
async function statusLine(url: string, head: string): Promise<string> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(`${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  await ended;
  return received.slice(0, received.indexOf('\r\n'));
}

describe('status lines', () => {
  // The gateway's own answers were made with the global Response, whose statusText is empty:
  // Node then wrote `HTTP/1.1 401 ` with no reason phrase, unlike every answer yoga made.
  it.each([
    ['GET /health HTTP/1.1', 'HTTP/1.1 200 OK'],
    ['GET /ready HTTP/1.1', 'HTTP/1.1 200 OK'],
    ['POST /health HTTP/1.1', 'HTTP/1.1 405 Method Not Allowed'],
    ['PUT /graphql HTTP/1.1', 'HTTP/1.1 405 Method Not Allowed'],
    ['POST /graphql HTTP/1.1\r\nContent-Type: application/json', 'HTTP/1.1 401 Unauthorized'],
    ['POST /graphql HTTP/1.1\r\nContent-Type: application/json\r\nAuthorization: Bearer demo-admin\r\nAccept: text/html', 'HTTP/1.1 406 Not Acceptable'],
    ['GET /nowhere HTTP/1.1', 'HTTP/1.1 404 Not Found'],
  ])('%j is answered with %j', async (head, expected) => {
    const gateway = await use.gateway();
    expect(await statusLine(gateway.url, head)).toBe(expected);
  });
});

/** Everything one connection receives until the server closes it, after `head` and then `bodyBytes` of body written 64 KB at a time (while the socket takes them). */
async function answerToUpload(url: string, head: string, bodyBytes: number): Promise<{ received: string; written: number }> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  let received = '';
  let written = 0;
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  socket.on('error', () => undefined); // writing into a connection the server closed
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(head);
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const pump = setInterval(() => {
    if (!socket.writable || written >= bodyBytes) return clearInterval(pump);
    socket.write(chunk);
    written += chunk.length;
  }, 5);
  // Bounded by the test's timeout: a connection the server keeps open fails the test.
  await closed;
  clearInterval(pump);
  return { received, written };
}

describe('uploads refused before they are read', () => {
  const upload = (length: number, more = '') =>
    `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer demo-admin\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${more}\r\n`;

  it('answers a declared length over the cap once, with 413 and Connection: close, and reads no more of it', async () => {
    // The 408 at the deadline was a second answer to the same request, after megabytes read.
    const gateway = await use.gateway({ REQUEST_DEADLINE_MS: '1500' });
    const { received, written } = await answerToUpload(gateway.url, upload(100_000_000), 100_000_000);
    expect(received).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(received).toMatch(/\r\nconnection: close\r\n/i);
    expect(received.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(written).toBeLessThan(100_000_000);
  });

  it('does not invite the body of a declared length over the cap (Expect: 100-continue), and still invites one within it', async () => {
    const gateway = await use.gateway();
    const refused = await answerToUpload(gateway.url, upload(5_000_000, 'Expect: 100-continue\r\n'), 0);
    expect(refused.received).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(refused.received).not.toContain('100 Continue');
    const body = '{"query":"{ __typename }"}';
    const socket = connect(Number(new URL(gateway.url).port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (received.startsWith('HTTP/1.1 100 Continue\r\n\r\n') && !socket.writableEnded) socket.end(body);
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(upload(body.length, 'Expect: 100-continue\r\nConnection: close\r\n'));
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    expect(received).toContain('{"data":{"__typename":"Query"}}');
  });

  it('answers an expectation it cannot meet with 417 in the contract shape, with a request id', async () => {
    const gateway = await use.gateway();
    const { received } = await answerToUpload(gateway.url, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: bogus\r\nX-Request-Id: rq-417\r\n\r\n', 0);
    expect(received).toMatch(/^HTTP\/1\.1 417 Expectation Failed\r\n/);
    expect(received).toMatch(/\r\nx-request-id: rq-417\r\n/i);
    const body = JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)) as { errors: Array<{ extensions: Record<string, unknown> }> };
    expect(body.errors[0]!.extensions).toMatchObject({ code: 'VALIDATION_ERROR', requestId: 'rq-417' });
  });
});
