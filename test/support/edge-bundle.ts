import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

/** Packages that only run on Node, or that must not reach the edge for their size. */
export const nodeOnlyPackages = ['undici', 'pino', 'prom-client', 'ioredis', '@graphql-yoga/render-graphiql'] as const;

export interface EdgeBundle {
  /** The ES module a worker runs. */
  code: string;
  /** Every import of a Node built-in module found on the graph, with the file that imports it. */
  builtinImports: Array<{ path: string; importer: string }>;
  /** Every file on the graph, relative to the project (`src/…`, `node_modules/…`). */
  inputs: string[];
}

const root = join(import.meta.dirname, '..', '..');
const builtins = new Set(builtinModules);

/** wrangler.toml's `[alias]` table, which `wrangler deploy` hands to its bundler: `"from" = "to"` lines. */
export function wranglerAliases(): Record<string, string> {
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8');
  const table = /^\[alias\]\n((?:"[^"\n]+" = "[^"\n]+"\n?)*)/m.exec(toml)?.[1] ?? '';
  return Object.fromEntries([...table.matchAll(/^"([^"]+)" = "([^"]+)"$/gm)].map((match) => [match[1]!, match[2]!]));
}

/**
 * Bundles src/edge.ts the way a worker build does (ESM, worker and browser export conditions,
 * wrangler.toml's aliases), recording instead of failing on Node built-ins so that a test can
 * name each one and its importer.
 */
export async function bundleEdgeEntry(): Promise<EdgeBundle> {
  const builtinImports: EdgeBundle['builtinImports'] = [];
  const recordBuiltins: Plugin = {
    name: 'record-node-builtins',
    setup(context) {
      context.onResolve({ filter: /.*/ }, (args) => {
        const bare = args.path.replace(/^node:/, '').split('/')[0]!;
        if (!args.path.startsWith('node:') && !builtins.has(bare)) return undefined;
        builtinImports.push({ path: args.path, importer: args.importer.replace(`${root}/`, '') });
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/edge.ts'],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    alias: wranglerAliases(),
    metafile: true,
    logLevel: 'silent',
    plugins: [recordBuiltins],
  });
  return { code: result.outputFiles[0]!.text, builtinImports, inputs: Object.keys(result.metafile.inputs) };
}
