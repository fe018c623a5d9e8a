/**
 * A peer's own tree is installed once, and again when its lockfile changes; a run never uses a
 * stale install. A real `npm ci`, of a package with no dependencies (no registry needed).
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensurePeerInstalled } from '../../bench/peers.js';

describe('a peer installed apart from the project', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('is installed the first time, not again, and again once its lockfile is newer', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conflux-peer-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'peer', version: '1.0.0', private: true }));
    writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'peer', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'peer', version: '1.0.0' } } }));
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);

    expect(await ensurePeerInstalled(dir, log)).toBe(true);
    expect(lines).toEqual([`installing the peer in ${dir} (npm ci)`]);
    expect(await ensurePeerInstalled(dir, log)).toBe(false);

    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'package-lock.json'), later, later);
    expect(await ensurePeerInstalled(dir, log)).toBe(true);
    expect(lines).toHaveLength(2);
  });
});
