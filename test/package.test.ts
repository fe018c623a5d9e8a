/**
 * The package as users take it, after `npm run build`: `conflux/client` is a subpath that Node
 * resolves through package.json `exports` (a package may import itself by name) and whose types
 * TypeScript finds, and `npm start` runs the gateway. One file, so that no two builds of dist/ run
 * at once.
 */
import { execFile, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { send } from './support/raw-http.js';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

beforeAll(async () => {
  await run('npm', ['run', 'build', '--silent'], { cwd: root });
}, 180_000);

describe('the conflux/client package subpath', () => {
  it('imports by package name in Node and maps an error with the built code', async () => {
    const script = `
      import { toConfluxError, createRetryLink, RateLimitError } from 'conflux/client';
      const error = toConfluxError({ message: 'slow down', extensions: { code: 'RATE_LIMITED', retryAfter: 4 } });
      console.log(JSON.stringify({ rateLimit: error instanceof RateLimitError, retryAfter: error.retryAfter, link: typeof createRetryLink().request }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({ rateLimit: true, retryAfter: 4, link: 'function' });
  });

  it('resolves its type declarations with NodeNext resolution', () => {
    const options = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };
    const resolved = ts.resolveModuleName('conflux/client', join(root, 'test', 'consumer.mts'), options, ts.sys);
    expect(resolved.resolvedModule?.resolvedFileName).toBe(join(root, 'dist', 'client', 'index.d.ts'));
  });
});

describe('the package main entry', () => {
  it('imports by package name and starts a gateway that answers', async () => {
    // `exports["."]` once named a file the build never made.
    const script = `
      import { startGateway, createGateway, parseConfig, errorCodes } from 'conflux';
      const running = await startGateway({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
      const response = await fetch(running.url + '/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' }, body: JSON.stringify({ query: '{ project(id: "p-1") { name } }' }) });
      console.log(JSON.stringify({ body: await response.json(), createGateway: typeof createGateway, port: parseConfig({ PORT: '8080' }).port, codes: errorCodes.length }));
      await running.stop(0);
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ body: { data: { project: { name: 'Atlas' } } }, createGateway: 'function', port: 8080, codes: 14 });
  });

  it('resolves its type declarations with NodeNext resolution', () => {
    const options = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };
    const resolved = ts.resolveModuleName('conflux', join(root, 'test', 'consumer.mts'), options, ts.sys);
    expect(resolved.resolvedModule?.resolvedFileName).toBe(join(root, 'dist', 'index.d.ts'));
  });
});

/**
 * Runs `npm run <script>`, waits for `ready` in what it prints, sends npm SIGTERM and resolves once
 * npm has exited, with the first match. npm passes SIGTERM to the script's shell: the script must
 * exec its program, or the program never hears it and keeps its ports after npm has gone (a
 * process manager or a container running the script).
 */
async function startThenTerminate(script: string, env: Record<string, string>, ready: RegExp, whileRunning: (match: RegExpExecArray) => Promise<void>): Promise<RegExpExecArray> {
  const child = spawn('npm', ['run', script, '--silent'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let printed = '';
    for (const stream of [child.stdout!, child.stderr!]) stream.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    for (let waited = 0; !ready.test(printed); waited += 50) {
      if (child.exitCode !== null || waited > 60_000) throw new Error(`no ${ready} from npm run ${script}: ${printed}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const match = ready.exec(printed)!;
    await whileRunning(match);
    child.kill('SIGTERM');
    await exited;
    return match;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

const refused = /ECONNREFUSED|ECONNRESET|socket hang up/;

describe('npm scripts that serve', () => {
  it('npm start hands SIGTERM to the gateway, which leaves no process behind', async () => {
    const env = { PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_OPERATIONS: 'off', LOG_LEVEL: 'silent' };
    const [, url] = await startThenTerminate('start', env, /serving GraphiQL at (http:\/\/[^/\s]+)\/graphql/, async ([, url]) => {
      expect((await send(url!, { method: 'GET', path: '/health' })).status).toBe(200);
    });
    await expect(send(url!, { method: 'GET', path: '/health' })).rejects.toThrow(refused);
  }, 120_000);

  it('npm run demo:upstreams hands SIGTERM to the demo services, which leave no process behind', async () => {
    const [, url] = await startThenTerminate('demo:upstreams', {}, /knowledge (http:\/\/\S+)/, async ([, url]) => {
      expect((await send(url!, { method: 'GET', path: '/api/v1/contexts/c-1', headers: { authorization: 'Bearer demo-admin' } })).status).toBe(200);
    });
    await expect(send(url!, { method: 'GET', path: '/api/v1/contexts/c-1' })).rejects.toThrow(refused);
  }, 120_000);
});
