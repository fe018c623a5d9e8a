/**
 * The production logger's standard output holds lines briefly (8 KB or 50 ms) and writes them
 * together. Nothing may be lost or reordered by that: lines reach the reader while the process
 * runs on without logging more, lines still held when the process exits or crashes are written
 * (over several turns too, and when the process ends on its own), more than the held bytes in
 * one turn all arrive in order, and a reader that goes away does not take the process down.
 * Each case runs in its own Node process, its stdout a real pipe.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

const logger = `import { createLogger } from './src/create-logger.ts'; const log = createLogger({ level: 'info' });`;

interface Child {
  stdout: string[];
  stderr: string;
  code: number | null;
}

/** Runs `script` after the logger setup; resolves when it exits (bounded by `timeoutMs`). */
function run(script: string, options: { onLine?: (line: string, kill: () => void) => void; closeStdout?: boolean; timeoutMs?: number } = {}): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `${logger}\n${script}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const result: Child = { stdout: [], stderr: '', code: null };
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (result.stderr += chunk));
  if (options.closeStdout) child.stdout.destroy();
  else createInterface({ input: child.stdout }).on('line', (line) => {
    result.stdout.push(line);
    options.onLine?.(line, () => child.kill('SIGKILL'));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit within ${options.timeoutMs ?? 10_000} ms; stdout: ${result.stdout.join('\n')}; stderr: ${result.stderr}`));
    }, options.timeoutMs ?? 10_000);
    // 'close' waits for the pipes to drain, so every line written has been read.
    child.once('close', (code) => {
      clearTimeout(timer);
      result.code = code;
      resolve(result);
    });
  });
}

const messages = (child: Child) => child.stdout.map((line) => (JSON.parse(line) as { msg: string }).msg);

describe('the logger on standard output', () => {
  it('writes a line while the process runs on without logging more', async () => {
    // The child logs once, then only waits; the test kills it once the line is read, so
    // the line cannot have come from an exit handler.
    const child = await run(`log.info({ n: 1 }, 'only line'); setInterval(() => {}, 1000);`, { onLine: (_line, kill) => kill() });
    expect(messages(child)).toEqual(['only line']);
    expect(child.code).toBeNull(); // killed, not exited
  });

  it('writes the lines still held when the process exits in the same turn', async () => {
    const child = await run(`for (let i = 0; i < 3; i++) log.info({ i }, 'line ' + i); process.exit(3);`);
    expect(child.code).toBe(3);
    expect(messages(child)).toEqual(['line 0', 'line 1', 'line 2']);
  });

  it('writes lines held over several turns when the process exits before they were due', async () => {
    const child = await run(`log.info({}, 'turn 1'); setImmediate(() => { log.info({}, 'turn 2'); setImmediate(() => { log.info({}, 'turn 3'); process.exit(0); }); });`);
    expect(child.code).toBe(0);
    expect(messages(child)).toEqual(['turn 1', 'turn 2', 'turn 3']);
  });

  it('writes the last line of a process that ends on its own', async () => {
    // No exit call and nothing else to do: the process ends with the line still held.
    const child = await run(`log.info({}, 'last line');`);
    expect(child.code).toBe(0);
    expect(messages(child)).toEqual(['last line']);
  });

  it('writes the lines held when the process crashes', async () => {
    const child = await run(`log.info({}, 'before the crash'); setTimeout(() => { log.error({}, 'last words'); throw new Error('boom'); }, 10);`);
    expect(child.code).toBe(1);
    expect(child.stderr).toContain('boom');
    expect(messages(child)).toEqual(['before the crash', 'last words']);
  });

  it('writes every line of a turn that logs far more than it holds, in order', async () => {
    // About 600 kB in one turn, so most of it is written before the turn ends.
    const child = await run(`for (let i = 0; i < 5000; i++) log.info({ i, pad: 'x'.repeat(64) }, 'line ' + i); setTimeout(() => process.exit(0), 50);`);
    expect(child.code).toBe(0);
    const lines = child.stdout.map((line) => (JSON.parse(line) as { i: number }).i);
    expect(lines).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('keeps serving when the reader of its output goes away', async () => {
    const child = await run(
      `let n = 0; const t = setInterval(() => { for (let i = 0; i < 50; i++) log.info({ n: n++ }, 'into a closed pipe'); if (n >= 2000) { clearInterval(t); process.stderr.write('still running after ' + n + ' lines\\n'); } }, 1);`,
      { closeStdout: true },
    );
    expect(child.stderr).toContain('still running after 2000 lines');
    expect(child.code).toBe(0);
  });
});
