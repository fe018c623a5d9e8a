/**
 * The shared store: every decision is one Lua script, run atomically by Redis in one round trip
 * (`EVALSHA`, which ioredis's `defineCommand` reloads if the server lost the script), so any
 * number of gateway instances enforce one budget exactly. Keys carry a prefix and expire with
 * their window.
 */
import type { Redis } from 'ioredis';
import type { RateBudget } from '../config.js';
import type { RateLimitDecision, RateLimitStore } from './store.js';

export interface RedisStoreOptions {
  /** A connected ioredis client; the store owns it and quits it on `close()`. */
  client: Redis;
  /** Prepended to every key, so that several deployments can share one Redis. @default 'conflux:rl:' */
  keyPrefix?: string;
}

export const defaultKeyPrefix = 'conflux:rl:';

// KEYS[1] the window's counter; ARGV[1] the limit, ARGV[2] the window in ms.
// Returns { allowed (1/0), count, ms left }. A refused call is not counted.
const consumeScript = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local limit = tonumber(ARGV[1])
local allowed = 0
if count < limit then
  count = redis.call('INCR', KEYS[1])
  allowed = 1
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return { allowed, count, ttl }
`;

interface ConsumeCommand {
  confluxConsume(key: string, limit: number, windowMs: number): Promise<[number, number, number]>;
}

export function createRedisStore(options: RedisStoreOptions): RateLimitStore {
  const prefix = options.keyPrefix ?? defaultKeyPrefix;
  const client = options.client as Redis & ConsumeCommand;
  client.defineCommand('confluxConsume', { numberOfKeys: 1, lua: consumeScript });

  return {
    name: 'redis',
    async consume(identity: string, scope: string, budget: RateBudget): Promise<RateLimitDecision> {
      const [allowed, count, ttl] = await client.confluxConsume(`${prefix}${scope}:${identity}`, budget.limit, budget.windowMs);
      return { allowed: allowed === 1, limit: budget.limit, remaining: Math.max(0, budget.limit - count), resetMs: ttl };
    },
    async ping() {
      return (await client.ping()) === 'PONG';
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
