/**
 * GraphiQL in a real browser: headless Chromium (Debian's package, driven by playwright-core)
 * opens /graphql, runs the example query with the button, and reads data and error codes from
 * the result pane. A screenshot goes to test-artifacts/graphiql.png.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const artifacts = join(import.meta.dirname, '..', '..', 'test-artifacts');

let gateway: TestGateway;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
const offHostRequests: string[] = [];

beforeAll(async () => {
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium is missing at ${executablePath}: install Debian's package (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH`);
  }
  gateway = await startTestGateway();
  userDataDir = mkdtempSync(join(tmpdir(), 'conflux-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1400 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(gateway.url) && !url.startsWith('blob:') && !url.startsWith('data:')) offHostRequests.push(url);
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await gateway?.stop(0);
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

describe('GraphiQL at /graphql', () => {
  it('runs the example query and shows data next to errors with their codes', async () => {
    await page.goto(`${gateway.url}/graphql`);
    await page.locator('.graphiql-execute-button').click({ timeout: 30_000 });
    const resultPane = page.locator('.result-window');
    await expect.poll(() => resultPane.textContent(), { timeout: 30_000 }).toContain('"code"');

    // What a user sees: the pane shows error codes and, below them, the data, on screen.
    const shown = (await resultPane.innerText()).replace(/\u00a0/g, ' ');
    expect(shown).toContain('"data": {');
    expect(shown).toMatch(/"code": "(NOT_FOUND|FORBIDDEN|UPSTREAM_ERROR)"/);

    // The whole pane, past what is scrolled into view: the result editor's text.
    const text = await page.evaluate(() => {
      const monaco = (window as unknown as { __MONACO?: { editor: { getEditors(): Array<{ getDomNode(): HTMLElement | null; getValue(): string }> } } }).__MONACO;
      const editor = monaco?.editor.getEditors().find((candidate) => candidate.getDomNode()?.closest('.result-window'));
      return editor?.getValue();
    });
    expect(text, 'the result editor').toBeDefined();
    const result = JSON.parse(text!) as { data: Record<string, any>; errors: Array<{ path: unknown[]; extensions: { code: string } }> };
    expect(result.data['projects']).toHaveLength(5);
    expect(result.data['projects'][0]).toMatchObject({ id: 'p-1', name: 'Atlas' });
    expect(result.data['context']['document']).toMatchObject({ status: 'FAILED' });
    const codes = Object.fromEntries(result.errors.map((error) => [JSON.stringify(error.path), error.extensions.code]));
    expect(codes).toMatchObject({
      '["projects",2,"owner"]': 'NOT_FOUND',
      '["projects",3,"workspace"]': 'FORBIDDEN',
      '["project","sessions"]': 'UPSTREAM_ERROR',
    });

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'graphiql.png') });
    expect(existsSync(join(artifacts, 'graphiql.png'))).toBe(true);
  });

  it('sent the default Authorization header and loaded nothing from another host', async () => {
    const projects = gateway.demo!.services.projects!.requests;
    expect(projects.some((request) => request.headers['authorization'] === 'Bearer demo-admin')).toBe(true);
    expect(offHostRequests).toEqual([]);
  });
});
