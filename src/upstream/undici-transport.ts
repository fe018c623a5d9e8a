/**
 * The Node transport: undici's `request` over one bounded keep-alive pool per upstream origin.
 * Measured against global `fetch` it serves fan-out queries several times faster and opens far
 * fewer connections. Never follows redirects (undici's `request` does not unless asked).
 */
import { Pool } from 'undici';
import { readCapped, transportErrorFrom } from './read-body.js';
import type { Transport, TransportRequest, TransportResponse } from './transport.js';

export interface UndiciTransportOptions {
  /** Most open connections per upstream origin. @default 64 */
  connectionsPerOrigin?: number;
  /** How long an idle keep-alive connection stays open, in ms. @default 30000 */
  keepAliveTimeoutMs?: number;
}

export function createUndiciTransport(options: UndiciTransportOptions = {}): Transport {
  const pools = new Map<string, Pool>();
  const poolFor = (origin: string): Pool => {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: options.connectionsPerOrigin ?? 64,
        keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
        pipelining: 1,
      });
      pools.set(origin, pool);
    }
    return pool;
  };

  return {
    async send(request: TransportRequest): Promise<TransportResponse> {
      const url = new URL(request.url);
      try {
        const response = await poolFor(url.origin).request({
          method: request.method,
          path: url.pathname + url.search,
          headers: request.headers,
          body: request.body,
          signal: request.signal,
        });
        const body = await readCapped(response.body, request.maxBodyBytes, () => response.body.destroy());
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        return { status: response.statusCode, headers, body };
      } catch (error) {
        throw transportErrorFrom(error, request.signal);
      }
    },
    async close() {
      const closing = [...pools.values()].map((pool) => pool.close());
      pools.clear();
      await Promise.allSettled(closing);
    },
  };
}
