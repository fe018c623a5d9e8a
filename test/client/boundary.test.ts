/**
 * `conflux/client` ships to browsers and other apps: nothing on its import graph may reach the
 * gateway's code or Node-only modules; only Apollo Client, rxjs and graphql's types.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const clientDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/client');
const allowedPackages = /^(@apollo\/client(\/[\w/-]+)?|rxjs|graphql)$/;

/** Every import specifier of every file reachable from `entry`, with the file that imports it. */
function importGraph(entry: string): Array<{ from: string; specifier: string; target?: string }> {
  const edges: Array<{ from: string; specifier: string; target?: string }> = [];
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const { fileName: specifier } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!specifier.startsWith('.')) {
        edges.push({ from: file, specifier });
        continue;
      }
      const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
      edges.push({ from: file, specifier, target });
      visit(target);
    }
  };
  visit(entry);
  return edges;
}

describe('the client module boundary', () => {
  const edges = importGraph(join(clientDir, 'index.ts'));

  it('reaches every file of src/client from its index', () => {
    const reached = new Set([join(clientDir, 'index.ts'), ...edges.flatMap((edge) => (edge.target ? [edge.target] : []))]);
    const files = readdirSync(clientDir).filter((name) => name.endsWith('.ts')).map((name) => join(clientDir, name));
    expect([...reached].sort()).toEqual(files.sort());
  });

  it('imports nothing from the gateway outside src/client', () => {
    const escaping = edges.filter((edge) => edge.target && relative(clientDir, edge.target).startsWith('..'));
    expect(escaping.map((edge) => `${relative(clientDir, edge.from)} -> ${edge.specifier}`)).toEqual([]);
  });

  it('imports only Apollo Client, rxjs and graphql among packages, and no node: module', () => {
    const packages = edges.filter((edge) => !edge.target).map((edge) => edge.specifier);
    expect(packages.length).toBeGreaterThan(0);
    expect(packages.filter((name) => !allowedPackages.test(name))).toEqual([]);
  });
});
