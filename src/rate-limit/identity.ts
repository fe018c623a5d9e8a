/**
 * Who a caller is, for rate limiting: its bearer key, kept only as a SHA-256 hash (`key:<hex>`),
 * else its IP address (`ip:<address>`). The address is the TCP peer's, or that of a header the
 * platform sets (`clientIpHeader`: on the edge there is no peer to read); `X-Forwarded-For` is
 * read only when `trustedProxies` says how many proxies in front append to it, since any client
 * can send one. WHATWG only: Web Crypto, no Node API.
 */
import { maxCredentialLength } from '../edge-policy.js';

export interface IdentityOptions {
  /** Reverse proxies in front that append to `X-Forwarded-For`; 0 ignores the header. @default 0 */
  trustedProxies?: number;
  /**
   * A lower-case header that the platform or proxy in front sets to the client's address
   * (`cf-connecting-ip`), read in place of the TCP peer's. A value that is not an address counts
   * as none. @default undefined
   */
  clientIpHeader?: string;
  /**
   * Hex SHA-256 of a bearer key. Node passes `node:crypto`'s, which answers at once; Web Crypto's
   * is a round trip through a promise job, and was 4% of the gateway's CPU on a `{ __typename }`
   * load. Every key is hashed on every request: kept in a cache, the raw keys would stay in memory.
   * @default Web Crypto's (`sha256Hex`)
   */
  sha256Hex?: (text: string) => string | Promise<string>;
}

const bearer = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const identities = new WeakMap<Request, Promise<string>>();

/** The caller's identity for `request`, computed once per request. */
export function identityFor(request: Request, serverContext: unknown, options: IdentityOptions = {}): Promise<string> {
  let identity = identities.get(request);
  if (identity === undefined) {
    identity = computeIdentity(request, serverContext, options);
    identities.set(request, identity);
  }
  return identity;
}

async function computeIdentity(request: Request, serverContext: unknown, options: IdentityOptions): Promise<string> {
  const authorization = request.headers.get('authorization');
  const token = authorization !== null && authorization.length <= maxCredentialLength ? bearer.exec(authorization)?.[1] : undefined;
  if (token !== undefined) return `key:${await (options.sha256Hex ?? sha256Hex)(token)}`;
  const peer = options.clientIpHeader === undefined ? peerAddress(serverContext) : addressIn(request.headers.get(options.clientIpHeader));
  return `ip:${clientAddress(request, peer, options.trustedProxies ?? 0) ?? 'unknown'}`;
}

/** Hex SHA-256 of `text`: the only form in which a bearer key is kept. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  let hex = '';
  for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** The TCP peer's address where the server exposes it (Node: `req.socket.remoteAddress`). */
export function peerAddress(serverContext: unknown): string | undefined {
  const req = (serverContext as { req?: { socket?: { remoteAddress?: unknown } } } | undefined)?.req;
  const address = req?.socket?.remoteAddress;
  // In the spelling every other address is read in, so that one caller is one identity.
  return typeof address === 'string' && address !== '' ? (normalizedAddress(address) ?? address) : undefined;
}

/**
 * The address in the header the platform sets. Were there several entries (a proxy that appends
 * where it should overwrite), the last one, the one it wrote: any before it came from the caller.
 */
function addressIn(value: string | null): string | undefined {
  if (value === null) return undefined;
  return normalizedAddress(value.slice(value.lastIndexOf(',') + 1).trim());
}

const ipv4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * One address as headers carry it (`198.51.100.1`, `198.51.100.1:4711`, `2001:db8::1`,
 * `[2001:db8::1]:443`) in one spelling without its port, or nothing: a caller must not get a
 * fresh budget from a new source port or another way of writing the same address.
 */
export function normalizedAddress(text: string): string | undefined {
  const bracketed = /^\[([^\]]{2,60})\](?::\d{1,5})?$/.exec(text);
  const withPort = /^([\d.]{7,15}):\d{1,5}$/.exec(text);
  // A zone (`fe80::1%eth0`) names the interface, not another caller.
  const host = (bracketed?.[1] ?? withPort?.[1] ?? text).replace(/%[\w.-]{1,32}$/, '');
  if (ipv4.test(host)) return host;
  if (!host.includes(':') || !/^[0-9A-Fa-f:.]{2,45}$/.test(host)) return undefined;
  let canonical: string;
  try {
    // WHATWG's IPv6 parser: lower case, zeros compressed, an embedded IPv4 address in hex.
    canonical = new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  // An IPv4 address written as IPv6, however spelled (`::ffff:198.51.100.7`, as Node gives a peer
  // on a dual-stack socket, `0:0:0:0:0:ffff:198.51.100.7`, `::ffff:c633:6407`), is that address.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped === null) return canonical;
  const high = Number.parseInt(mapped[1]!, 16);
  const low = Number.parseInt(mapped[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * With `trustedProxies` = n, the client is the address the outermost trusted proxy saw: the
 * n-th entry of `X-Forwarded-For` counted from the right, the peer itself being the last proxy.
 */
export function clientAddress(request: Request, peer: string | undefined, trustedProxies: number): string | undefined {
  if (trustedProxies === 0 || peer === undefined) return peer;
  // Entries that are no address keep their place (as `unknown`): dropped, they would move the
  // place counted from the right onto an entry the caller wrote.
  const header = request.headers.get('x-forwarded-for')?.trim();
  const forwarded = header ? header.split(',').map((entry) => normalizedAddress(entry.trim()) ?? 'unknown') : [];
  const chain = [...forwarded, peer];
  return chain[Math.max(0, chain.length - 1 - trustedProxies)];
}
