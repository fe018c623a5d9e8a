/**
 * The edge transport (the platform's `fetch`; Node's here) on answers whose framing is wrong:
 * contradictory framing refused before the answer is handed over is an unusable answer, a body
 * cut short while it is read is a reset, as on the Node transport.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createFetchTransport } from '../../src/upstream/fetch-transport.js';
import { isTransportError } from '../../src/upstream/transport.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A loopback server that answers every request with `raw` and closes. */
async function answering(raw: string): Promise<string> {
  server = createServer((socket) => socket.once('data', () => socket.end(raw)));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return `http://127.0.0.1:${address.port}/x`;
}

async function failureOf(url: string): Promise<string> {
  const request = { method: 'GET' as const, url, headers: {}, body: undefined, signal: new AbortController().signal, timeoutMs: 5000, deadlineAt: Date.now() + 5000, maxBodyBytes: 1 << 20 };
  try {
    await createFetchTransport().send(request);
  } catch (error) {
    return isTransportError(error) ? error.kind : `not a transport failure: ${String(error)}`;
  }
  return 'no failure';
}

describe('the fetch transport on broken framing', () => {
  it('reads a Content-Length beside chunked encoding as an unusable answer', async () => {
    const url = await answering('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 61\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3d\r\n{"error":{"code":"not_found","message":"User u-x not found"}}\r\n0\r\n\r\n');
    expect(await failureOf(url)).toBe('malformed');
  });

  it('reads a body cut short behind Connection: close as a reset', async () => {
    const url = await answering('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"id":"c-1","na');
    expect(await failureOf(url)).toBe('reset');
  });
});
