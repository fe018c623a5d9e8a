/**
 * Pinning, on this machine's real CPUs: the harness's process, a server started on its core, and
 * a running process moved with all its threads, then the harness given its CPUs back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { allowedList, pinHarness } from '../../bench/cpus.js';

const threadLists = (pid: number) => readdirSync(`/proc/${pid}/task`).map((task) => allowedList(`${pid}/task/${task}`));

describe('pinning the benchmark to cores', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });

  it('puts the harness on one CPU and the server on another, moves a running server, and restores the harness', async () => {
    const before = allowedList();
    // Read before pinning: once pinned, this process may use one CPU.
    const canPin = process.platform === 'linux' && availableParallelism() >= 2;
    const pinning = pinHarness();
    if (!canPin) {
      expect(pinning).toBeNull();
      return;
    }
    try {
      expect(pinning).not.toBeNull();
      const { load, server } = pinning!.cpus;
      expect(load).not.toBe(server);
      // Every thread of the harness, the load generator's among them.
      expect(new Set(threadLists(process.pid))).toEqual(new Set([String(load)]));

      const [program, ...args] = pinning!.command([process.execPath, '-e', "console.log('ready'); setInterval(() => {}, 1000)"], 'server');
      child = spawn(program!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      await once(child.stdout!, 'data');
      // Node's own threads (V8's, libuv's) started on the server's CPU too.
      expect(threadLists(child.pid!).length).toBeGreaterThan(1);
      expect(new Set(threadLists(child.pid!))).toEqual(new Set([String(server)]));

      pinning!.move(child.pid!, 'load');
      expect(new Set(threadLists(child.pid!))).toEqual(new Set([String(load)]));
    } finally {
      pinning?.restore();
    }
    expect(allowedList()).toBe(before);
    expect(new Set(threadLists(process.pid))).toEqual(new Set([before]));
  });
});
