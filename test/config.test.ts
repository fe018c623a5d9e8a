import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';
import { subnetBroadcasts } from '../src/main.js';

describe('parseConfig', () => {
  it('gives the documented defaults', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      upstreamUrls: { projects: undefined, workspaces: undefined, directory: undefined, knowledge: undefined },
      upstreamTimeoutMs: 10_000,
      upstreamMaxBodyBytes: 10_485_760,
      upstreamConnections: 64,
      upstreamCoalesce: true,
      requestDeadlineMs: 30_000,
      rateLimitOperations: { limit: 500, windowMs: 3_600_000 },
      redisUrl: undefined,
      requireAuth: true,
      logLevel: 'info',
      errorOverrides: { workspaces: { SOURCES_NOT_READY: 'CONFLICT' } },
      development: false,
    });
  });

  it('takes a variable set to nothing (or only whitespace) as unset, with its default', () => {
    const blank = { PORT: '', HOST: ' ', REQUIRE_AUTH: '', RATE_LIMIT_OPERATIONS: ' ', REDIS_URL: '', PROJECTS_URL: '', LOG_LEVEL: '\t' };
    expect(parseConfig(blank)).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      requireAuth: true,
      rateLimitOperations: { limit: 500, windowMs: 3_600_000 },
      redisUrl: undefined,
      upstreamUrls: { projects: undefined },
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    const config = parseConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      PROJECTS_URL: 'http://127.0.0.1:9000/svc/',
      UPSTREAM_TIMEOUT_MS: '250',
      UPSTREAM_MAX_BODY_BYTES: '1024',
      UPSTREAM_CONNECTIONS: '8',
      UPSTREAM_COALESCE: 'false',
      REQUEST_DEADLINE_MS: '5000',
      RATE_LIMIT_OPERATIONS: '100/30s',
      REDIS_URL: 'redis://127.0.0.1:6379/0',
      REQUIRE_AUTH: 'false',
      LOG_LEVEL: 'warn',
      ERROR_OVERRIDES: '{"directory":{"query_failed":"SERVICE_UNAVAILABLE"}}',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      upstreamUrls: { projects: 'http://127.0.0.1:9000/svc' },
      upstreamTimeoutMs: 250,
      upstreamMaxBodyBytes: 1024,
      upstreamConnections: 8,
      upstreamCoalesce: false,
      requestDeadlineMs: 5000,
      rateLimitOperations: { limit: 100, windowMs: 30_000 },
      redisUrl: 'redis://127.0.0.1:6379/0',
      requireAuth: false,
      logLevel: 'warn',
      errorOverrides: { workspaces: { SOURCES_NOT_READY: 'CONFLICT' }, directory: { query_failed: 'SERVICE_UNAVAILABLE' } },
    });
    expect(parseConfig({ RATE_LIMIT_OPERATIONS: 'off' }).rateLimitOperations).toBeUndefined();
  });

  it('trims trailing slashes from a URL, and reads one with a long run of inner slashes at once', () => {
    expect(parseConfig({ PROJECTS_URL: 'http://127.0.0.1:9000/svc///' }).upstreamUrls.projects).toBe('http://127.0.0.1:9000/svc');
    // The trim was quadratic in such a run: 200,000 slashes took over a minute.
    const inner = `http://127.0.0.1:9000/svc${'/'.repeat(200_000)}v1`;
    expect(parseConfig({ PROJECTS_URL: inner }).upstreamUrls.projects).toBe(inner);
  });

  it('gives the rate-limit defaults and reads their variables', () => {
    expect(parseConfig({})).toMatchObject({
      rateLimitFields: { startSynthesis: { limit: 3, windowMs: 60_000 }, knowledge: { limit: 30, windowMs: 60_000 } },
      rateLimitMaxIdentities: 100_000,
      rateLimitStoreFailure: 'open',
      rateLimitTrustedProxies: 0,
      rateLimitClientIpHeader: undefined,
      rateLimitKeyPrefix: 'conflux:rl:',
      redisTimeoutMs: 500,
    });
    expect(
      parseConfig({
        RATE_LIMIT_START_SYNTHESIS: 'off',
        RATE_LIMIT_KNOWLEDGE: '10/30s',
        RATE_LIMIT_MAX_IDENTITIES: '5000',
        RATE_LIMIT_STORE_FAILURE: 'closed',
        RATE_LIMIT_TRUSTED_PROXIES: '1',
        RATE_LIMIT_KEY_PREFIX: 'staging:rl:',
        REDIS_TIMEOUT_MS: '100',
      }),
    ).toMatchObject({
      rateLimitFields: { startSynthesis: undefined, knowledge: { limit: 10, windowMs: 30_000 } },
      rateLimitMaxIdentities: 5000,
      rateLimitStoreFailure: 'closed',
      rateLimitTrustedProxies: 1,
      rateLimitKeyPrefix: 'staging:rl:',
      redisTimeoutMs: 100,
    });
    expect(parseConfig({ RATE_LIMIT_CLIENT_IP_HEADER: ' CF-Connecting-IP ' }).rateLimitClientIpHeader).toBe('cf-connecting-ip');
    expect(parseConfig({ RATE_LIMIT_CLIENT_IP_HEADER: 'x-real-ip', RATE_LIMIT_TRUSTED_PROXIES: '0' }).rateLimitClientIpHeader).toBe('x-real-ip');
    // Two answers to where the address comes from: refused together, naming the header's variable.
    expect(() => parseConfig({ RATE_LIMIT_CLIENT_IP_HEADER: 'x-real-ip', RATE_LIMIT_TRUSTED_PROXIES: '1' })).toThrow(/^RATE_LIMIT_CLIENT_IP_HEADER=.*RATE_LIMIT_TRUSTED_PROXIES/);
  });

  it('gives the documented edge defaults and reads every edge variable', () => {
    expect(parseConfig({})).toMatchObject({
      shutdownGraceMs: 10_000,
      keepAliveTimeoutMs: 5_000,
      edge: {
        maxRequestBodyBytes: 1_048_576,
        batchLimit: 0,
        allowFormBodies: false,
        corsOrigins: [],
        introspection: true,
        maxDepth: 10,
        maxAliases: 15,
        maxDirectives: 10,
        maxTokens: 1000,
        maxCost: 5000,
        exposeLimits: false,
      },
    });
    const config = parseConfig({
      MAX_REQUEST_BODY_BYTES: '2048',
      BATCH_LIMIT: '5',
      ALLOW_FORM_BODIES: 'true',
      CORS_ORIGINS: 'https://app.example, http://localhost:5173',
      INTROSPECTION: 'false',
      MAX_DEPTH: '4',
      MAX_ALIASES: '3',
      MAX_DIRECTIVES: '2',
      MAX_TOKENS: '300',
      MAX_COST: '100',
      EXPOSE_LIMITS: 'true',
      SHUTDOWN_GRACE_MS: '2500',
      KEEP_ALIVE_TIMEOUT_MS: '65000',
    });
    expect(config).toMatchObject({
      shutdownGraceMs: 2500,
      keepAliveTimeoutMs: 65_000,
      edge: {
        maxRequestBodyBytes: 2048,
        batchLimit: 5,
        allowFormBodies: true,
        corsOrigins: ['https://app.example', 'http://localhost:5173'],
        introspection: false,
        maxDepth: 4,
        maxAliases: 3,
        maxDirectives: 2,
        maxTokens: 300,
        maxCost: 100,
        exposeLimits: true,
      },
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['UPSTREAM_TIMEOUT_MS', 'soon'],
    ['UPSTREAM_TIMEOUT_MS', '0'],
    ['UPSTREAM_MAX_BODY_BYTES', '-1'],
    ['REQUEST_DEADLINE_MS', '1.5'],
    ['RATE_LIMIT_OPERATIONS', '500 per hour'],
    ['RATE_LIMIT_OPERATIONS', '0/1h'],
    ['PROJECTS_URL', 'not a url'],
    ['DIRECTORY_URL', 'ftp://127.0.0.1/'],
    ['KNOWLEDGE_URL', 'http://user:secret@127.0.0.1/'],
    ['WORKSPACES_URL', 'http://127.0.0.1/?q=1'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['RATE_LIMIT_START_SYNTHESIS', '3 a minute'],
    ['RATE_LIMIT_KNOWLEDGE', '0/1m'],
    ['RATE_LIMIT_MAX_IDENTITIES', '0'],
    ['RATE_LIMIT_STORE_FAILURE', 'maybe'],
    ['RATE_LIMIT_TRUSTED_PROXIES', '-1'],
    ['RATE_LIMIT_CLIENT_IP_HEADER', 'x real ip'],
    ['RATE_LIMIT_CLIENT_IP_HEADER', 'x-real-ip:'],
    ['RATE_LIMIT_KEY_PREFIX', 'has spaces'],
    ['REDIS_TIMEOUT_MS', '0'],
    ['REQUIRE_AUTH', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['ERROR_OVERRIDES', '{"workspaces":{"X":"NOT_A_CODE"}}'],
    ['ERROR_OVERRIDES', '[1]'],
    ['MAX_REQUEST_BODY_BYTES', '0'],
    ['BATCH_LIMIT', '1000'],
    ['CORS_ORIGINS', '*'],
    ['CORS_ORIGINS', 'https://app.example/path'],
    ['CORS_ORIGINS', 'app.example'],
    ['INTROSPECTION', 'sometimes'],
    ['MAX_DEPTH', '0'],
    ['MAX_TOKENS', 'many'],
    ['SHUTDOWN_GRACE_MS', '-5'],
    ['UPSTREAM_CONNECTIONS', '0'],
    ['UPSTREAM_CONNECTIONS', '10001'],
    ['KEEP_ALIVE_TIMEOUT_MS', '0'],
    // A service name that is not one would override nothing, or reach Object.prototype.
    ['ERROR_OVERRIDES', '{"__proto__":{"X":"CONFLICT"}}'],
    ['ERROR_OVERRIDES', '{"constructor":{"X":"CONFLICT"}}'],
    ['ERROR_OVERRIDES', '{"workspace":{"X":"CONFLICT"}}'],
    ['ERROR_OVERRIDES', '{"workspaces":{"X":"INTERNAL_SERVER_ERROR"}}'],
    // An empty upstream code names no answer: the override would never apply.
    ['ERROR_OVERRIDES', '{"projects":{"":"CONFLICT"}}'],
    ['ERROR_OVERRIDES', '{"projects":{"  ":"CONFLICT"}}'],
    ['REDIS_URL', 'redis://:::'],
    ['REDIS_URL', 'redis://127.0.0.1:99999'],
    ['REDIS_URL', 'redis://[::1'],
    ['REDIS_URL', 'redis://127.0.0.1:6379/abc'],
    ['REDIS_URL', 'redis:///0'],
    // The Redis client would read these past the rules for the path and the credentials.
    ['REDIS_URL', 'redis://127.0.0.1:6379/?db=99'],
    ['REDIS_URL', 'redis://127.0.0.1:6379/0?password=x'],
    ['REDIS_URL', 'redis://127.0.0.1:6379/0#frag'],
    ['RATE_LIMIT_OPERATIONS', '99999999999999999999999/1h'],
    ['RATE_LIMIT_OPERATIONS', '1/9999999999d'],
  ])('refuses %s=%s with one line naming the variable', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
    try {
      parseConfig({ [name]: value });
    } catch (error) {
      expect((error as Error).message).toMatch(new RegExp(`^${name}[= ]`));
      if (name.endsWith('_URL')) expect((error as Error).message).not.toContain(value);
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('stops the start with one line on stderr and exit code 1', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, UPSTREAM_TIMEOUT_MS: 'soon' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('conflux: UPSTREAM_TIMEOUT_MS="soon" is invalid: expected a whole number from 1 to 600000');
    expect(result.stdout).toBe('');
  });

  it('names PORT in one line when the port is taken, and HOST when it is no address of this machine', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const start = (env: Record<string, string>) =>
        spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });
      const inUse = start({ HOST: '127.0.0.1', PORT: String(port) });
      expect(inUse.status).toBe(1);
      expect(inUse.stderr.trim()).toBe(`conflux: PORT=${port} is invalid: the address 127.0.0.1:${port} is already in use`);
      const elsewhere = start({ HOST: '192.0.2.1', PORT: '0' }); // TEST-NET-1: never an address of this machine
      expect(elsewhere.status).toBe(1);
      expect(elsewhere.stderr.trim()).toBe('conflux: HOST="192.0.2.1" is invalid: expected an address of this machine (EADDRNOTAVAIL)');
      // Addresses a TCP socket may bind but nothing can connect to, and one Linux refuses outright.
      const multicast = start({ HOST: '224.0.0.1', PORT: '0' });
      expect(multicast.status).toBe(1);
      expect(multicast.stderr.trim()).toBe('conflux: HOST="224.0.0.1" is invalid: a multicast address, which no client can connect to; expected an address of this machine');
      const broadcast = start({ HOST: '127.255.255.255', PORT: '0' }); // the loopback subnet's
      expect(broadcast.stderr.trim()).toBe('conflux: HOST="127.255.255.255" is invalid: a broadcast address, which no client can connect to; expected an address of this machine');
      const linkLocal = start({ HOST: 'fe80::1', PORT: '0' });
      expect(linkLocal.status).toBe(1);
      expect(linkLocal.stderr.trim()).toMatch(/^conflux: HOST="fe80::1" is invalid: expected an address of this machine \((EINVAL; a link-local address needs its interface, as in fe80::1%eth0|EADDRNOTAVAIL)\)$/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 60_000);

  it('knows the broadcast address of each subnet of this machine, but none of a /32 or /31, nor any address it has', () => {
    const entry = (address: string, netmask: string) => ({ address, netmask, family: 'IPv4' as const, mac: '00:00:00:00:00:00', internal: false, cidr: null });
    const broadcasts = subnetBroadcasts({
      lo: [entry('127.0.0.1', '255.0.0.0')],
      eth0: [entry('10.1.2.3', '255.255.255.0'), entry('10.9.9.9', '255.255.255.255')],
      wg0: [entry('10.8.0.0', '255.255.255.254'), entry('10.8.0.1', '255.255.255.254')],
      // An address of this machine that is another subnet's broadcast address is still its own.
      eth1: [entry('10.1.2.255', '255.255.254.0')],
    });
    expect([...broadcasts].sort()).toEqual(['10.1.3.255', '127.255.255.255']);
  });

  it('keeps an override keyed `__proto__` as an own key, touching no prototype', () => {
    const config = parseConfig({ ERROR_OVERRIDES: '{"projects":{"__proto__":"CONFLICT"}}' });
    expect(Object.hasOwn(config.errorOverrides['projects']!, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(config.errorOverrides['projects'])).toBe(Object.prototype);
  });

  it('accepts the largest budget, and a Redis URL with credentials, a database and options', () => {
    expect(parseConfig({ RATE_LIMIT_OPERATIONS: '1000000000/366d' }).rateLimitOperations).toEqual({ limit: 1_000_000_000, windowMs: 366 * 86_400_000 });
    expect(parseConfig({ REDIS_URL: 'rediss://user:pw@cache.example:6380/3?family=6' }).redisUrl).toBe('rediss://user:pw@cache.example:6380/3?family=6');
  });
});

describe('circuit breaker settings', () => {
  it('default to 5 consecutive failures and 10 s before a probe, and read both variables', () => {
    expect(parseConfig({})).toMatchObject({ circuitFailureThreshold: 5, circuitHalfOpenAfterMs: 10_000 });
    expect(parseConfig({ CIRCUIT_FAILURE_THRESHOLD: '3', CIRCUIT_HALF_OPEN_AFTER_MS: '1500' })).toMatchObject({ circuitFailureThreshold: 3, circuitHalfOpenAfterMs: 1500 });
  });

  it.each([
    ['CIRCUIT_FAILURE_THRESHOLD', '0'],
    ['CIRCUIT_FAILURE_THRESHOLD', 'many'],
    ['CIRCUIT_HALF_OPEN_AFTER_MS', '-5'],
    ['CIRCUIT_HALF_OPEN_AFTER_MS', '1e4'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(new RegExp(`^${name}=`));
  });
});
