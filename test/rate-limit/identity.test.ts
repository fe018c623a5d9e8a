import { describe, expect, it } from 'vitest';
import { clientAddress, identityFor, normalizedAddress, sha256Hex } from '../../src/rate-limit/identity.js';

const node = (remoteAddress: string) => ({ req: { socket: { remoteAddress } } });
const request = (headers: Record<string, string>) => new Request('http://gateway.test/graphql', { headers });

describe('caller identity', () => {
  it('keeps a bearer key only as its SHA-256 hash', async () => {
    const identity = await identityFor(request({ authorization: 'Bearer s3cret-key' }), node('127.0.0.1'));
    expect(identity).toBe(`key:${await sha256Hex('s3cret-key')}`);
    expect(identity).toMatch(/^key:[0-9a-f]{64}$/);
    expect(identity).not.toContain('s3cret');
  });

  it('gives two keys two identities, and the same key the same one', async () => {
    const a = await identityFor(request({ authorization: 'Bearer one' }), node('127.0.0.1'));
    const b = await identityFor(request({ authorization: 'Bearer two' }), node('127.0.0.1'));
    const again = await identityFor(request({ authorization: 'bearer one' }), node('10.0.0.1'));
    expect(a).not.toBe(b);
    expect(again).toBe(a);
  });

  it('reads a peer on a dual-stack socket (::ffff:…) as the IPv4 address it is', async () => {
    expect(await identityFor(request({}), node('::ffff:203.0.113.5'))).toBe('ip:203.0.113.5');
  });

  it('falls back to the peer address, ignoring X-Forwarded-For by default', async () => {
    expect(await identityFor(request({ 'x-forwarded-for': '198.51.100.1' }), node('203.0.113.5'))).toBe('ip:203.0.113.5');
    expect(await identityFor(request({ authorization: 'Basic abc' }), node('::1'))).toBe('ip:::1');
    expect(await identityFor(request({}), {})).toBe('ip:unknown');
  });

  it('reads the address from the header the platform sets, when configured, and nothing else then', async () => {
    const options = { clientIpHeader: 'cf-connecting-ip' };
    expect(await identityFor(request({ 'cf-connecting-ip': '198.51.100.7' }), {}, options)).toBe('ip:198.51.100.7');
    expect(await identityFor(request({ 'cf-connecting-ip': ' 2001:db8::1 ' }), node('203.0.113.5'), options)).toBe('ip:2001:db8::1');
    // Not the TCP peer, and not a value that is no address.
    expect(await identityFor(request({}), node('203.0.113.5'), options)).toBe('ip:unknown');
    expect(await identityFor(request({ 'cf-connecting-ip': 'key:abc' }), {}, options)).toBe('ip:unknown');
    // A key still wins.
    expect(await identityFor(request({ 'cf-connecting-ip': '198.51.100.7', authorization: 'Bearer k' }), {}, options)).toBe(`key:${await sha256Hex('k')}`);
  });

  it.each([
    ['198.51.100.7', '198.51.100.7'],
    ['198.51.100.7:4711', '198.51.100.7'],
    ['2001:DB8:0:0::1', '2001:db8::1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['::ffff:198.51.100.7', '198.51.100.7'],
    ['[::FFFF:198.51.100.7]:80', '198.51.100.7'],
    // The same address in the other spellings of an IPv4-mapped address: one caller, one budget.
    ['::ffff:c633:6407', '198.51.100.7'],
    ['0:0:0:0:0:ffff:198.51.100.7', '198.51.100.7'],
    ['[0:0:0:0:0:FFFF:C633:6407]:443', '198.51.100.7'],
    ['::ffff:198.51.100.256', undefined],
    ['::198.51.100.7', '::c633:6407'],
    ['fe80::1%eth0', 'fe80::1'],
    ['198.51.100.256', undefined],
    ['010.1.1.1', undefined],
    ['example.com', undefined],
    ['1.2.3', undefined],
    ['', undefined],
  ])('reads the address %j as %j, one spelling and no port', (text, expected) => {
    expect(normalizedAddress(text)).toBe(expected);
  });

  it('takes the last entry of a header the platform should have written alone: the earlier ones are the caller’s', async () => {
    const options = { clientIpHeader: 'x-real-ip' };
    expect(await identityFor(request({ 'x-real-ip': '203.0.113.9, 198.51.100.7:5000' }), {}, options)).toBe('ip:198.51.100.7');
    expect(await identityFor(request({ 'x-real-ip': '198.51.100.7, garbage' }), {}, options)).toBe('ip:unknown');
    // A new source port is the same caller.
    expect(await identityFor(request({ 'x-real-ip': '198.51.100.7:1' }), {}, options)).toBe(await identityFor(request({ 'x-real-ip': '198.51.100.7:2' }), {}, options));
  });

  it.each([
    [1, '198.51.100.1', '198.51.100.1'],
    [1, 'spoofed, 198.51.100.1', '198.51.100.1'],
    [2, '198.51.100.1, 192.0.2.10', '198.51.100.1'],
    [2, '192.0.2.10', '192.0.2.10'],
    // What the trusted proxy appended is no address: unknown, never the entry before it (the caller's).
    [1, 'not an address', 'unknown'],
    [1, '198.51.100.9, not an address', 'unknown'],
    // No header: the request came straight to the gateway, whose peer is the client.
    [1, '', '203.0.113.5'],
    [1, '198.51.100.1:8080', '198.51.100.1'],
  ])('with %i trusted proxies, X-Forwarded-For %j gives %s', (trustedProxies, forwardedFor, expected) => {
    expect(clientAddress(request({ 'x-forwarded-for': forwardedFor }), '203.0.113.5', trustedProxies)).toBe(expected);
  });
});
