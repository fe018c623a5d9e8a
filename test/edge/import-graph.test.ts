/**
 * The edge entry's whole import graph, our files and every package they pull in, holds no Node
 * built-in and none of the Node-only packages: it must run where only WHATWG APIs exist.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleEdgeEntry, nodeOnlyPackages, type EdgeBundle } from '../support/edge-bundle.js';

let bundle: EdgeBundle;
beforeAll(async () => {
  bundle = await bundleEdgeEntry();
});

describe('src/edge.ts import graph', () => {
  it('imports no Node built-in module, directly or through a package', () => {
    expect(bundle.builtinImports).toEqual([]);
  });

  it('pulls in none of the Node-only packages', () => {
    const offending = bundle.inputs.filter((input) => nodeOnlyPackages.some((name) => input.includes(`node_modules/${name}/`)));
    expect(offending).toEqual([]);
    // The walk really covers the packages: the gateway's own stack is on it.
    expect(bundle.inputs.some((input) => input.includes('node_modules/graphql-yoga/'))).toBe(true);
    expect(bundle.inputs).toContain('src/server.ts');
  });

  it('holds one copy of graphql, its ES modules: two would make two GraphQLError classes', () => {
    const graphqlFiles = bundle.inputs.filter((input) => input.startsWith('node_modules/graphql/'));
    expect(graphqlFiles).toContain('node_modules/graphql/language/parser.mjs');
    expect(graphqlFiles.filter((input) => !input.endsWith('.mjs'))).toEqual([]);
  });

  it('leaves out the Node entry and the metrics, and none of our files on it names a Node module', () => {
    const ours = bundle.inputs.filter((input) => input.startsWith('src/'));
    expect(ours).not.toContain('src/main.ts');
    expect(ours).not.toContain('src/metrics.ts');
    for (const file of ours) {
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/from '(node:|undici|pino|prom-client|ioredis|@graphql-yoga\/render-graphiql)/);
    }
  });
});
