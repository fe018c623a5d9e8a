/**
 * Each server under test runs in its own child process, so its CPU and peak memory are its own.
 * A child prints its base URL once it listens (the peers on stdout, Conflux on stderr, its stdout
 * being JSON logs); `startChild` waits for that line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Child {
  name: string;
  /** `http://127.0.0.1:<port>` */
  url: string;
  pid: number;
  /** The child's peak resident set so far (VmHWM), in bytes; `undefined` off Linux. */
  peakRssBytes(): number | undefined;
  /** CPU time the child has used so far (user + system), in ms; `undefined` off Linux. */
  cpuMs(): number | undefined;
  stop(): Promise<void>;
}

export interface ChildOptions {
  name: string;
  /** Program and arguments, e.g. `[process.execPath, 'dist/main.js']`. */
  command: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  /** How long to wait for the URL line, in ms. @default 60000 */
  readyTimeoutMs?: number;
}

const urlLine = /(http:\/\/127\.0\.0\.1:\d+)/;

export function startChild(options: ChildOptions): Promise<Child> {
  const [program, ...args] = options.command;
  const child = spawn(program!, args, {
    cwd: options.cwd,
    env: { ...process.env, NODE_ENV: 'production', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    // The URL line comes on stdout from the peers, on stderr from Conflux (its stdout is JSON logs).
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`${options.name} printed no URL within ${options.readyTimeoutMs ?? 60_000} ms`)), options.readyTimeoutMs ?? 60_000);
    const onExit = (code: number | null) => fail(new Error(`${options.name} exited (${code}) before listening: ${stderr.trim()}`));
    function fail(error: Error) {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(error);
    }
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4000);
      const match = urlLine.exec(seen);
      if (!match) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      // Logs keep flowing; drain them so the child never blocks on a full pipe.
      child.stdout!.resume();
      resolve(childHandle(options.name, match[1]!, child));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
}

function childHandle(name: string, url: string, child: ChildProcess): Child {
  const pid = child.pid!;
  return {
    name,
    url,
    pid,
    peakRssBytes: () => peakRss(pid),
    cpuMs: () => cpuTime(pid),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

function peakRss(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

// Clock ticks per second for /proc/<pid>/stat: 100 on every mainstream Linux (USER_HZ).
const ticksPerSecond = 100;

function cpuTime(pid: number): number | undefined {
  try {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}
