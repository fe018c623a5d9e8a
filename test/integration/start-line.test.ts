/**
 * The line a person at a terminal reads at start: the URL to open, and whether a GraphiQL page
 * is there to open.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

/** Starts the entry point with `env`, returns its first stderr line, and stops it. */
async function startLine(env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    return await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`exited with ${code} before its start line`)));
      createInterface({ input: child.stderr! }).once('line', resolve);
    });
  } finally {
    child.kill('SIGKILL');
  }
}

describe('the start line', () => {
  it('names the GraphiQL page when there is one, and says so when there is none', async () => {
    expect(await startLine({})).toMatch(/^Conflux is serving GraphiQL at http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    for (const off of [{ GRAPHIQL: 'false' }, { INTROSPECTION: 'false' }] as Array<Record<string, string>>) {
      expect(await startLine(off)).toMatch(/^Conflux is serving GraphQL \(no GraphiQL page: GRAPHIQL or INTROSPECTION is false\) at http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    }
  }, 60_000);
});
