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
