/**
 * Upstreams that misbehave on purpose, each a real loopback server: every case gives its code,
 * leaks nothing of what the upstream sent, and the gateway keeps serving afterwards.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { defaultClientMessages } from '../../src/errors/codes.js';
import { answerCompressed } from '../support/compressed-upstream.js';
import { errorAt, expectStillServing } from '../support/gateway.js';
import { refusedPort, waitUntil } from '../support/http-server.js';
import { useTestResources } from '../support/resources.js';

const use = useTestResources();

const query = '{ context(id: "c-1") { name } project(id: "p-1") { name } }';

/** Runs `query` against a knowledge service answering with `handler`; checks the code, the other field's data, no leak. */
async function expectCode(handler: (response: ServerResponse, socket: Socket) => void, code: string, env: Record<string, string> = {}) {
  const upstream = await use.server((_request, response, socket) => handler(response, socket));
  const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, ...env });
  const reply = await gateway.graphql(query);
  expect(reply.status).toBe(200);
  expect(reply.body.data).toEqual({ context: null, project: { name: 'Atlas' } });
  const error = errorAt(reply, ['context']);
  expect(error.extensions).toMatchObject({ code, upstream: { service: 'knowledge' } });
  expect(JSON.stringify(reply.body)).not.toMatch(/secret|nginx|<|elsewhere|127\.0\.0\.1/);
  await expectStillServing(gateway);
  return { reply, error, upstream };
}

describe('hostile upstreams', () => {
  it('a body over the size limit, streamed slowly, is stopped while streaming → BAD_GATEWAY', async () => {
    let written = 0;
    let closedEarly = false;
    const { error, upstream } = await expectCode(
      (response, socket) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"id": "c-1", "name": "');
        // 1 KiB every 5 ms, for up to 10 MiB: the body only ends if nobody stops reading.
        const timer = setInterval(() => {
          if (written >= 10 * 1024 * 1024) return response.end('"}');
          response.write('x'.repeat(1024));
          written += 1024;
        }, 5);
        socket.on('close', () => {
          clearInterval(timer);
          closedEarly = written < 10 * 1024 * 1024;
        });
      },
      'BAD_GATEWAY',
      { UPSTREAM_MAX_BODY_BYTES: '16384' },
    );
    expect(error.message).toBe('The knowledge service answered with something unusable');
    await waitUntil(() => closedEarly, 'the gateway to close the oversized body');
    expect(written).toBeLessThan(1024 * 1024);
    expect(upstream.requests).toHaveLength(1);
  });

  it('a body over the size limit sent at once → BAD_GATEWAY, not retried', async () => {
    const { upstream } = await expectCode((response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: 'c-1', name: 'x'.repeat(100_000) }));
    }, 'BAD_GATEWAY', { UPSTREAM_MAX_BODY_BYTES: '1024' });
    expect(upstream.requests).toHaveLength(1);
  });

  it('answers compressed though nobody asked are read: data from a gzipped 200, the message of a brotli 404', async () => {
    const upstream = await use.server(answerCompressed);
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url });
    const reply = await gateway.graphql('{ a: context(id: "c-1") { name } b: context(id: "c-404") { name } }');
    expect(reply.body.data).toEqual({ a: { name: 'Zipped' }, b: null });
    expect(errorAt(reply, ['b'])).toMatchObject({ message: 'Context c-404 is gone', extensions: { code: 'NOT_FOUND', upstream: { service: 'knowledge', status: 404, code: 'not_found' } } });
    // Compressed though the gateway asked for no compression.
    for (const request of upstream.requests) expect(request.headers['accept-encoding']).toBeUndefined();
  });

  it('a small gzipped body that inflates past the size limit → BAD_GATEWAY, not retried', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 32));
    const { upstream } = await expectCode((response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      response.end(bomb);
    }, 'BAD_GATEWAY', { UPSTREAM_MAX_BODY_BYTES: '65536' });
    expect(bomb.byteLength).toBeLessThan(65536);
    expect(upstream.requests).toHaveLength(1);
  });

  it('a body its Content-Encoding does not describe is no body: plain JSON labelled gzip → BAD_GATEWAY, a 404 keeps NOT_FOUND, neither retried', async () => {
    const upstream = await use.server((request, response) => {
      response.writeHead(request.url.includes('c-404') ? 404 : 200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      response.end(JSON.stringify({ id: 'c-1', name: 'Plain' }));
    });
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url });
    const reply = await gateway.graphql('{ a: context(id: "c-1") { name } b: context(id: "c-404") { name } }');
    expect(reply.body.data).toEqual({ a: null, b: null });
    expect(errorAt(reply, ['a']).extensions).toMatchObject({ code: 'BAD_GATEWAY', upstream: { service: 'knowledge', status: 200 } });
    expect(errorAt(reply, ['b']).extensions).toMatchObject({ code: 'NOT_FOUND', upstream: { service: 'knowledge', status: 404 } });
    expect(upstream.requests).toHaveLength(2);
  });

  it('a 200 whose gzip is cut short → BAD_GATEWAY', async () => {
    const whole = gzipSync(JSON.stringify({ id: 'c-1', name: 'secret' }));
    await expectCode((response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      response.end(whole.subarray(0, whole.byteLength - 12));
    }, 'BAD_GATEWAY');
  });

  it('a 404 whose gzip is cut short inside a whole answer → NOT_FOUND, sent once', async () => {
    const whole = gzipSync(JSON.stringify({ code: 'NOT_FOUND', message: 'Zipped not found' }));
    const cut = whole.subarray(0, whole.byteLength - 6);
    const { upstream } = await expectCode((response) => {
      response.writeHead(404, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(cut.byteLength) });
      response.end(cut);
    }, 'NOT_FOUND');
    expect(upstream.requests).toHaveLength(1);
  });

  it('a chunk size that is no number → BAD_GATEWAY, tried 3 times like a 502', async () => {
    const { error, upstream } = await expectCode((_response, socket) => {
      socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{"id"\r\n0\r\n\r\n');
    }, 'BAD_GATEWAY');
    expect(error.message).toBe('The knowledge service answered with something unusable');
    expect(upstream.requests).toHaveLength(3);
  });

  it('a 200 with invalid JSON → BAD_GATEWAY', async () => {
    await expectCode((response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"id": "c-1", "name": <secret>');
    }, 'BAD_GATEWAY');
  });

  it('a connection reset mid-body → SERVICE_UNAVAILABLE (a GET is tried 3 times)', async () => {
    const { error, upstream } = await expectCode((response, socket) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
      response.write('{"id": "c-1", "name": "sec', () => socket.destroy());
    }, 'SERVICE_UNAVAILABLE');
    expect(error.extensions['upstream'].status).toBeUndefined();
    expect(upstream.requests).toHaveLength(3);
  });

  it('a connection closed before any answer → SERVICE_UNAVAILABLE', async () => {
    await expectCode((_response, socket) => socket.destroy(), 'SERVICE_UNAVAILABLE');
  });

  it('a refused connection → SERVICE_UNAVAILABLE, and the gateway keeps serving', async () => {
    const gateway = await use.gateway({ KNOWLEDGE_URL: `http://127.0.0.1:${await refusedPort()}` });
    const reply = await gateway.graphql(query);
    expect(errorAt(reply, ['context']).extensions['code']).toBe('SERVICE_UNAVAILABLE');
    expect(reply.body.data!['project']).toEqual({ name: 'Atlas' });
    await expectStillServing(gateway);
  });

  it.each([301, 302, 303, 307, 308])('a %i redirect is not followed → BAD_GATEWAY', async (status) => {
    const { error, upstream } = await expectCode((response) => {
      response.writeHead(status, { location: 'http://127.0.0.1:1/elsewhere' });
      response.end('<a href="/elsewhere">moved</a>');
    }, 'BAD_GATEWAY');
    expect(error.extensions['upstream'].status).toBe(status);
    expect(upstream.requests).toHaveLength(1);
  });

  it('a 404 whose problem details are 300 kB of dotted text → NOT_FOUND, answered at once', async () => {
    // Checking this text for internal host names once backtracked quadratically: about half a
    // minute of CPU for this body, with the event loop blocked. Any upstream could stall the gateway.
    const dotted = 'a.'.repeat(50_000);
    const { error } = await expectCode((response) => {
      response.writeHead(404, { 'content-type': 'application/problem+json' });
      response.end(JSON.stringify({ type: 'https://problems.example/not-found', title: dotted, status: 404, detail: dotted, instance: dotted }));
    }, 'NOT_FOUND');
    expect(error.message).toMatch(/^(a\.)+a?…$/);
    expect(error.message.length).toBeLessThanOrEqual(300);
  }, 5_000);

  it('a 403 whose title and detail echo credentials → FORBIDDEN with the default sentence, nothing echoed', async () => {
    const { error } = await expectCode((response) => {
      response.writeHead(403, { 'content-type': 'application/problem+json' });
      response.end(JSON.stringify({ type: 'https://problems.example/forbidden', title: 'AWS key AKIAIOSFODNN7EXAMPLE lacks s3:GetObject', status: 403, detail: 'billing call failed: api_key=sk_live_4eC39HqLyjWDarjtT1zdp7dc password=hunter2' }));
    }, 'FORBIDDEN');
    expect(error.message).toBe(defaultClientMessages.FORBIDDEN);
    expect(error.extensions['upstream']).toEqual({ service: 'knowledge', status: 403, code: 'forbidden', type: 'https://problems.example/forbidden' });
    expect(JSON.stringify(error)).not.toMatch(/AKIA|sk_live|hunter2/);
  });

  it('a 304 to a request that sent no If-None-Match → BAD_GATEWAY, with the status', async () => {
    const { error } = await expectCode((response) => {
      response.writeHead(304, { etag: '"x"' });
      response.end();
    }, 'BAD_GATEWAY');
    expect(error.extensions['upstream'].status).toBe(304);
  });

  it('a 200 whose body is not the promised shape → BAD_GATEWAY, with the status', async () => {
    const { error } = await expectCode((response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"unexpected": true}');
    }, 'BAD_GATEWAY');
    expect(error.extensions['upstream'].status).toBe(200);
  });

  it('an answer that is not HTTP → BAD_GATEWAY, tried 3 times like a 502', async () => {
    const { error, upstream } = await expectCode((_response, socket) => {
      socket.end('SSH-2.0-OpenSSH_9.6 secret\r\n');
    }, 'BAD_GATEWAY');
    expect(error.message).toBe('The knowledge service answered with something unusable');
    expect(error.extensions['upstream'].status).toBeUndefined();
    expect(upstream.requests).toHaveLength(3);
  });

  it.each([
    ['Content-Length beside chunked', 'Content-Length: 61\r\nTransfer-Encoding: chunked'],
    ['two Content-Lengths', 'Content-Length: 5\r\nContent-Length: 6'],
  ])('framing that contradicts itself (%s) → BAD_GATEWAY, not an unreachable service', async (_name, framing) => {
    const { error } = await expectCode((_response, socket) => {
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n${framing}\r\nConnection: close\r\n\r\n3d\r\n{"error":{"code":"not_found","message":"User u-x not found"}}\r\n0\r\n\r\n`);
    }, 'BAD_GATEWAY');
    expect(error.message).toBe('The knowledge service answered with something unusable');
  });

  it.each([
    ['with Connection: close', 'Connection: close\r\n'],
    ['as HTTP/1.0', ''],
  ])('a body cut short %s is a reset, SERVICE_UNAVAILABLE, not an unusable answer', async (name, connection) => {
    const { error, upstream } = await expectCode((_response, socket) => {
      const version = name === 'as HTTP/1.0' ? '1.0' : '1.1';
      socket.end(`HTTP/${version} 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n${connection}\r\n{"id":"c-1","na`);
    }, 'SERVICE_UNAVAILABLE');
    expect(error.extensions['upstream'].status).toBeUndefined();
    expect(upstream.requests).toHaveLength(3);
  });

  it.each(['000 Zero', '099 Low'])('a status line of %s (below 100, which fails an assertion in the HTTP client) → BAD_GATEWAY, not an unreachable service', async (statusLine) => {
    const { error, upstream } = await expectCode((_response, socket) => {
      socket.end(`HTTP/1.1 ${statusLine}\r\nContent-Length: 0\r\n\r\n`);
    }, 'BAD_GATEWAY');
    expect(error.message).toBe('The knowledge service answered with something unusable');
    expect(upstream.requests).toHaveLength(3);
  });

  it.each([20_000, 100_000])('headers larger than the HTTP client reads (%i bytes) → BAD_GATEWAY, tried 3 times like a 502', async (size) => {
    const { error, upstream } = await expectCode((response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'x-secret': 'a'.repeat(size) });
      response.end(JSON.stringify({ id: 'c-1', name: 'Atlas' }));
    }, 'BAD_GATEWAY');
    expect(error.message).toBe('The knowledge service answered with something unusable');
    expect(upstream.requests).toHaveLength(3);
  });

  it('a body in the charset its Content-Type names is read in it: ISO-8859-1 data, and an error message', async () => {
    const upstream = await use.server((request, response) => {
      const missing = request.url.includes('c-404');
      const text = missing ? JSON.stringify({ code: 'not_found', message: 'Kontext gelöscht' }) : JSON.stringify({ id: 'c-1', name: 'Café Müller' });
      response.writeHead(missing ? 404 : 200, { 'content-type': 'application/json; charset=ISO-8859-1' });
      response.end(Buffer.from(text, 'latin1'));
    });
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url });
    const reply = await gateway.graphql('{ a: context(id: "c-1") { name } b: context(id: "c-404") { name } }');
    expect(reply.body.data).toEqual({ a: { name: 'Café Müller' }, b: null });
    expect(errorAt(reply, ['b'])).toMatchObject({ message: 'Kontext gelöscht', extensions: { code: 'NOT_FOUND' } });
  });

  it('a 101 Switching Protocols nobody asked for → BAD_GATEWAY', async () => {
    await expectCode((_response, socket) => {
      socket.end('HTTP/1.1 101 Switching Protocols\r\nupgrade: secret-proto\r\nconnection: upgrade\r\n\r\n');
    }, 'BAD_GATEWAY');
  });

  it('a 100 Continue nobody asked for, before the answer → BAD_GATEWAY with the fixed message, not SERVICE_UNAVAILABLE', async () => {
    // The upstream was reached and answered: "unavailable" would tell the caller it was not.
    const { error, upstream } = await expectCode((response) => {
      response.writeContinue();
      setTimeout(() => {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end('{"code": "not_found", "message": "secret"}');
      }, 10);
    }, 'BAD_GATEWAY');
    expect(error.message).toBe('The knowledge service answered with something unusable');
    expect(error.extensions['upstream'].status).toBeUndefined();
    expect(upstream.requests).toHaveLength(3);
  });

  it('a 100 Continue before the answer to a write → BAD_GATEWAY, sent once', async () => {
    const upstream = await use.server((_request, response) => {
      response.writeContinue();
      setTimeout(() => {
        response.writeHead(201, { 'content-type': 'application/json' });
        response.end('{"id": "f-1", "text": "x"}');
      }, 10);
    });
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url });
    const reply = await gateway.graphql('mutation { rememberFact(contextId: "c-1", text: "x") { id } }');
    expect(reply.body.data).toEqual({ rememberFact: null });
    expect(errorAt(reply, ['rememberFact']).extensions).toMatchObject({ code: 'BAD_GATEWAY', status: 502, upstream: { service: 'knowledge' } });
    expect(upstream.requests).toHaveLength(1);
    await expectStillServing(gateway);
  });

  it('a status past 599, which HTTP does not have → BAD_GATEWAY, not retried', async () => {
    const { error, upstream } = await expectCode((response) => {
      response.writeHead(999, { 'content-type': 'application/json' });
      response.end('{"code": "internal_error", "message": "secret"}');
    }, 'BAD_GATEWAY');
    expect(error.extensions['upstream'].status).toBe(999);
    expect(upstream.requests).toHaveLength(1);
  });

  it('a 404 whose body nests 100,000 levels deep → NOT_FOUND with its message', async () => {
    // Writing such JSON back for the log overflowed the stack: the failure became INTERNAL_SERVER_ERROR.
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const { error } = await expectCode((response) => {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(`{"code": "not_found", "message": "Context c-1 is gone", "details": {"trace": ${deep}}}`);
    }, 'NOT_FOUND');
    expect(error.message).toBe('Context c-1 is gone');
    expect(error.extensions['upstream'].code).toBe('not_found');
  });

  it('an HTML 502 from a proxy → BAD_GATEWAY with no HTML in the message', async () => {
    const { error, upstream } = await expectCode((response) => {
      response.writeHead(502, { 'content-type': 'text/html' });
      response.end('<html><body><h1>502 Bad Gateway</h1><p>nginx/1.25 at 10.0.0.7 secret</p></body></html>');
    }, 'BAD_GATEWAY');
    expect(error.message).toBe('The knowledge service answered with something unusable');
    expect(error.extensions['upstream'].status).toBe(502);
    // A 502 is a 5xx: a GET is tried 3 times before giving up.
    expect(upstream.requests).toHaveLength(3);
  });

  it('a 503 with Retry-After on a write → SERVICE_UNAVAILABLE with retryAfter, sent once', async () => {
    const upstream = await use.server((_request, response) => {
      response.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '7' });
      response.end('down for maintenance at db-7.internal');
    });
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url });
    const reply = await gateway.graphql('mutation { rememberFact(contextId: "c-1", text: "x") { id } }');
    expect(errorAt(reply, ['rememberFact']).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: 7 });
    expect(JSON.stringify(reply.body)).not.toContain('db-7');
    expect(upstream.requests).toHaveLength(1);
    await expectStillServing(gateway);
  });
});
