/**
 * The ioredis client for the shared store, set up to fail fast: while disconnected a command
 * fails at once instead of queueing, and a slow command fails after `timeoutMs`, so the rate
 * limiter can apply its failure mode (`RATE_LIMIT_STORE_FAILURE`) instead of stalling requests.
 * It reconnects in the background. Node only: imported by `main.ts`, never by the request path.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { withoutValues } from '../redaction.js';

export interface RedisClientOptions {
  /** One command's timeout, and the connect timeout's base, in ms. @default 500 */
  timeoutMs?: number;
  /** Where connection trouble is reported (at most once per `logEveryMs`). @default nothing is logged */
  logger?: Logger;
  /** The shortest gap between two connection warnings, in ms. @default 10000 */
  logEveryMs?: number;
}

/** Resolves true once `client` is connected and ready, false if it is not within `withinMs`. */
export function redisReady(client: Redis, withinMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), withinMs);
    client.once('ready', onReady);
  });
}

/** Clients whose server refused the database their URL names: see `createRedisClient`. */
const refusedDatabase = new WeakSet<Redis>();

/** Whether `client`'s server refused the database number in its URL (it has fewer). */
export function databaseRefused(client: Redis): boolean {
  return refusedDatabase.has(client);
}

export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const timeoutMs = options.timeoutMs ?? 500;
  const logEveryMs = options.logEveryMs ?? 10_000;
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(1000, timeoutMs * 4),
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  let lastLoggedAt = -Infinity;
  // A server's error may quote the command it refused, AUTH and its password included.
  const password = passwordOf(url);
  // Without a listener ioredis prints every failed reconnect to stderr.
  client.on('error', (error: Error) => {
    // A database the server does not have: ioredis reports the failed SELECT, then goes on to
    // 'ready' in database 0, where the counters would silently go. Dropped and tried again
    // instead, so the store is unavailable (RATE_LIMIT_STORE_FAILURE applies) until it exists.
    if (/DB index is out of range/i.test(error.message)) {
      refusedDatabase.add(client);
      client.disconnect(true);
    }
    if (Date.now() - lastLoggedAt < logEveryMs) return;
    lastLoggedAt = Date.now();
    options.logger?.warn({ err: { name: error.name, message: withoutValues(error.message, password) as string } }, 'redis connection failed');
  });
  return client;
}

/** The password of a Redis URL, as written and decoded; none when it has none. */
function passwordOf(url: string): string[] {
  const { password } = new URL(url);
  if (password === '') return [];
  try {
    return [decodeURIComponent(password), password];
  } catch {
    return [password];
  }
}
