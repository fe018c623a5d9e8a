/**
 * A Redis for tests: `REDIS_URL` when set, else a `redis-server` from the PATH started on a free
 * loopback port. Without either it throws, loudly: Redis tests never pass by not running. Tests
 * reach it through a loopback TCP relay, so that they can make it slow or take it away.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { refusedPort } from './http-server.js';

export interface TestRedis {
  /** `redis://127.0.0.1:<port>` (with the database of `REDIS_URL`, if any). */
  url: string;
  /** Takes Redis away from the gateway, as a crash would: the server is killed (or, for `REDIS_URL`, the relay cut). */
  stop(): Promise<void>;
  /** Makes Redis look hung: the relay stops passing bytes (until `thaw()` or `stop()`). */
  freeze(): void;
  /** Ends a `freeze()`: what the gateway sent meanwhile reaches Redis now, as after a long pause. */
  thaw(): void;
}

export const missingRedisMessage =
  'Redis tests need Redis: set REDIS_URL, or install redis-server (Debian: apt-get install redis-server; .ci/run does it)';

export async function startTestRedis(): Promise<TestRedis> {
  const given = process.env['REDIS_URL'];
  if (given) return relay(new URL(given), async () => {});
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error(missingRedisMessage);
  const port = await refusedPort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  await untilAnswering(port, server);
  return relay(new URL(`redis://127.0.0.1:${port}`), async () => {
    server.kill('SIGKILL');
    await exited;
  });
}

/** Waits (at most 10 s) until the server answers PING. */
async function untilAnswering(port: number, server: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (server.exitCode !== null) throw new Error(`redis-server exited with ${server.exitCode} before answering`);
    const answered = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  server.kill('SIGKILL');
  throw new Error('redis-server did not answer PING within 10 s');
}

/** A loopback relay to `target`; `stop()` runs `kill`, then closes the relay and every connection through it. */
async function relay(target: URL, kill: () => Promise<void>): Promise<TestRedis> {
  const sockets = new Set<Socket>();
  let frozen = false;
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const [socket, other] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(socket);
      if (frozen) socket.pause();
      socket.on('close', () => {
        sockets.delete(socket);
        other.destroy();
      });
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = new URL(target.href);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.href,
    freeze() {
      frozen = true;
      for (const socket of sockets) socket.pause();
    },
    thaw() {
      frozen = false;
      for (const socket of sockets) socket.resume();
    },
    async stop() {
      await kill();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
