/**
 * A caller's bearer key is its rate-limit identity, kept only as a SHA-256 hash (GATEWAY.md): not
 * in Redis, and not in the gateway's own memory either, where a heap dump would show it. The
 * gateway runs as its own process; its heap, written on a signal, is searched for the keys.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../support/http-server.js';

describe('a bearer key in the gateway process', () => {
  it('is not held once its requests are answered: only its hash is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conflux-heap-'));
    const child = spawn(process.execPath, ['--import', 'tsx', `--diagnostic-dir=${dir}`, '--heapsnapshot-signal=SIGUSR2', 'src/main.ts'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`exited with ${code} before its start line`)));
        createInterface({ input: child.stderr! }).once('line', (line) => resolve(/http:\/\/\S+?(?=\/graphql)/.exec(line)![0]));
      });
      // Random, so that no string in the gateway's code or its dependencies can match by chance.
      const keys = Array.from({ length: 5 }, () => randomBytes(12).toString('hex'));
      for (const key of keys) {
        // `{ __typename }` calls no upstream, so no upstream cache holds the credential either.
        const reply = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer kq${key}` }, body: '{"query":"{ __typename }"}' });
        expect(reply.status).toBe(200);
        expect(reply.headers.get('ratelimit-remaining')).not.toBeNull();
      }
      child.kill('SIGUSR2');
      // Written whole once its size stops changing; a snapshot of this process takes a few seconds.
      let size = -1;
      await waitUntil(() => {
        const file = readdirSync(dir).find((name) => name.endsWith('.heapsnapshot'));
        const now = file === undefined ? -1 : statSync(join(dir, file)).size;
        const done = now > 0 && now === size;
        size = now;
        return done;
      }, 'the heap snapshot', 60_000);
      const heap = readFileSync(join(dir, readdirSync(dir).find((name) => name.endsWith('.heapsnapshot'))!), 'utf8');
      expect(heap.length).toBeGreaterThan(1_000_000);
      expect(keys.filter((key) => heap.includes(`kq${key}`))).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
