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
