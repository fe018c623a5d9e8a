/**
 * The per-instance store: a bounded LRU of callers. Each call is O(1) (one map lookup and one
 * write, whatever the number of callers); beyond `maxIdentities` the least recently seen caller
 * is forgotten, and a caller whose windows have all ended is dropped when next looked at.
 */
import { LRUCache } from 'lru-cache';
import type { RateBudget } from '../config.js';
import type { RateLimitDecision, RateLimitStore } from './store.js';

export interface MemoryStoreOptions {
  /** Callers remembered at most; the least recently seen is forgotten first, in identities. @default 100000 */
  maxIdentities?: number;
  /** The clock, in ms since the epoch (tests pass their own). @default Date.now */
  now?: () => number;
}

interface Window {
  count: number;
  /** When the window ends, in ms since the epoch. */
  endsAt: number;
}

/** One caller's open windows, by scope. */
type Windows = Map<string, Window>;

export const defaultMaxIdentities = 100_000;

export interface MemoryStore extends RateLimitStore {
  /** Callers currently remembered. */
  readonly size: number;
}

export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxIdentities = options.maxIdentities ?? defaultMaxIdentities;
  if (!Number.isInteger(maxIdentities) || maxIdentities < 1) throw new RangeError(`maxIdentities must be a whole number ≥ 1, got ${maxIdentities}`);
  const now = options.now ?? Date.now;
  // perf.now is lru-cache's TTL clock; ours is passed so that tests can move time.
  const callers = new LRUCache<string, Windows>({ max: maxIdentities, perf: { now } });

  const consumeNow = (identity: string, scope: string, budget: RateBudget): RateLimitDecision => {
    const at = now();
    const windows: Windows = callers.get(identity) ?? new Map();
    let window = windows.get(scope);
    if (window === undefined || window.endsAt <= at) {
      window = { count: 0, endsAt: at + budget.windowMs };
      windows.set(scope, window);
    }
    const allowed = window.count < budget.limit;
    if (allowed) window.count += 1;
    // The caller is forgotten once its last window has ended.
    let lastEnd = window.endsAt;
    for (const other of windows.values()) lastEnd = Math.max(lastEnd, other.endsAt);
    callers.set(identity, windows, { ttl: lastEnd - at });
    return { allowed, limit: budget.limit, remaining: budget.limit - window.count, resetMs: window.endsAt - at };
  };

  return {
    name: 'memory',
    get size() {
      return callers.size;
    },
    consume: (identity, scope, budget) => Promise.resolve(consumeNow(identity, scope, budget)),
    ping: () => Promise.resolve(true),
    close: () => {
      callers.clear();
      return Promise.resolve();
    },
  };
}
