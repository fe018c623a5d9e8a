/**
 * Peers with a dependency tree of their own, kept out of the project's: each lives in
 * `bench/peers/<name>/` with its own package.json and lockfile, and is installed there (`npm ci`)
 * the first time a run needs it, or again when its lockfile has changed since.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Installs the peer in `dir` unless its install is as new as its lockfile; returns whether it ran `npm ci`. */
export async function ensurePeerInstalled(dir: string, log: (line: string) => void): Promise<boolean> {
  // Written once `npm ci` has finished: an install cut short is never taken for one.
  const stamp = join(dir, 'node_modules', '.installed-by-bench');
  if (installedAfter(stamp, join(dir, 'package-lock.json'))) return false;
  log(`installing the peer in ${dir} (npm ci)`);
  await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  return true;
}

function installedAfter(installed: string, lockfile: string): boolean {
  try {
    return statSync(installed).mtimeMs >= statSync(lockfile).mtimeMs;
  } catch {
    return false; // not installed yet
  }
}
