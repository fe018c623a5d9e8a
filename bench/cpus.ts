/**
 * Pinning: the server under test gets a core of its own, and the load generator and the upstream
 * share another, through Linux's `taskset`. Left to the scheduler, the server and the load
 * generator shared a core in some turns and not in others, and a turn's figure moved with that:
 * the same build against itself, six alternating rounds of 3 s of `single`, gave 0.60× to 1.69×
 * unpinned and 0.97× to 1.14× pinned once past the first round (bench/README.md, "Pinned to cores").
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export type CpuRole = 'server' | 'load';

export interface Pinning {
  /** The CPU each role runs on. */
  cpus: Readonly<Record<CpuRole, number>>;
  /** `command`, started on the role's CPU (every thread it starts inherits it). */
  command(command: readonly string[], role: CpuRole): string[];
  /** Moves a running process, every thread of it, to the role's CPU. */
  move(pid: number, role: CpuRole): void;
  /** Gives the harness's own process back the CPUs it had. */
  restore(): void;
}

/**
 * Pins the calling process (the load generator) to the first CPU it may use, and returns how to
 * place the others; `null` where it cannot: not Linux, fewer than two CPUs allowed, no `taskset`.
 */
export function pinHarness(): Pinning | null {
  const own = allowedList();
  if (own === null) return null;
  const allowed = cpusIn(own);
  if (allowed.length < 2) return null;
  const cpus = { load: allowed[0]!, server: allowed[1]! };
  try {
    setAffinity(process.pid, String(cpus.load));
  } catch {
    return null; // no taskset
  }
  return {
    cpus,
    command: (command, role) => ['taskset', '--cpu-list', String(cpus[role]), ...command],
    move: (pid, role) => setAffinity(pid, String(cpus[role])),
    restore: () => setAffinity(process.pid, own),
  };
}

function setAffinity(pid: number, list: string): void {
  execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', list, String(pid)], { stdio: 'ignore' });
}

/**
 * The CPUs a process (or one thread, `<pid>/task/<tid>`) may run on, as Linux lists them (`0-1`,
 * `0,2-3`); `null` off Linux.
 */
export function allowedList(of: number | string = 'self'): string | null {
  try {
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${of}/status`, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** The CPUs of such a list, in order. */
function cpusIn(list: string): number[] {
  return list.split(',').flatMap((range) => {
    const [first, last = first] = range.split('-').map(Number);
    return Array.from({ length: last! - first! + 1 }, (_, index) => first! + index);
  });
}
