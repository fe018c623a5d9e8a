/**
 * The Redis client's own log lines, against a server on loopback that quotes the command it
 * refused, AUTH and its password included, in its error reply.
 */
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisClient } from '../../src/rate-limit/redis-client.js';
import { waitUntil } from '../support/http-server.js';
import { createRecordingLogger } from '../support/recording-logger.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe('the Redis client', () => {
  it('logs a refused AUTH without the password the server quoted back', async () => {
    const password = 'REDISURLPW2-secret';
    server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.on('data', () => socket.write(`-ERR got *3 $4 auth $7 default $${password.length} ${password}\r\n`));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const logger = createRecordingLogger();
    const client = createRedisClient(`redis://default:${encodeURIComponent(password)}@127.0.0.1:${(server.address() as AddressInfo).port}`, { logger });
    try {
      await waitUntil(() => logger.entries.length > 0, 'a redis warning', 5000);
    } finally {
      client.disconnect();
    }
    const logged = JSON.stringify(logger.entries);
    expect(logged).toContain('redis connection failed');
    expect(logged).toContain('ERR got');
    expect(logged).not.toContain(password);
  });
});
