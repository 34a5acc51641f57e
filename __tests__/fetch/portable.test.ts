/**
 * The Fetch entry must run where Node's built-ins are missing (Cloudflare's workerd
 * without nodejs_compat) and where code may not be compiled at run time. Bundling it
 * for a neutral platform shows exactly what it pulls in, dependencies included.
 */
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const ENTRY = join(ROOT, 'lib', 'fetch', 'index.ts');
// The entry as Node loads it: scripts/build.mjs bundles each format's entries together into shared chunks.
const built = (format: 'esm' | 'cjs') => join(ROOT, 'dist', format, 'fetch', 'index.js');

/** The package that a bare specifier or a path in node_modules names, such as `@noble/hashes`. */
const packageOf = (path: string): string | undefined => /^(?:.*node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];

async function bundle(): Promise<{ code: string; inputs: string[] }> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'neutral',
    // What wrangler resolves for Cloudflare Workers. (lru-cache's non-browser build tries a guarded
    // dynamic import('node:diagnostics_channel') and carries on without it where it is missing.)
    mainFields: ['browser', 'module', 'main'],
    conditions: ['workerd', 'worker', 'browser', 'import'],
    logLevel: 'silent',
  });
  return { code: result.outputFiles[0]?.text ?? '', inputs: Object.keys(result.metafile.inputs) };
}

describe('the piapi-webhook/fetch entry', () => {
  let bundled: { code: string; inputs: string[] };
  beforeAll(async () => {
    bundled = await bundle();
  }, 60_000);

  it('bundles for a neutral platform: no node:* module or Node built-in is imported', () => {
    // esbuild fails to resolve a bare built-in on the neutral platform; a node: import would be left external.
    expect(bundled.code).not.toMatch(/from\s*["'](node:)?(crypto|http|stream|buffer|events|util|net)["']/);
    expect(bundled.code).not.toMatch(/\b(?:from|import|require)\s*\(?\s*["']node:/);
    expect(bundled.code).not.toMatch(/\brequire\(/);
    // node:crypto is only ever borrowed, where the runtime lends it (lib/web/platform.ts).
    expect(bundled.code.match(/["']node:[a-z]+["']/g)).toEqual(['"node:crypto"', '"node:buffer"']);
  });

  it('uses no global Buffer, eval or new Function', () => {
    expect(bundled.code).not.toMatch(/(?<![.\w$])Buffer\b/);
    expect(bundled.code).not.toMatch(/\beval\(|new Function\b/);
  });

  it('does not carry ajv, raw-body or the Express adapter', () => {
    expect(bundled.inputs.filter((input) => /node_modules\/(ajv|raw-body|iconv-lite)\//.test(input))).toEqual([]);
    expect(bundled.inputs.filter((input) => input.includes('lib/express/') || input.includes('lib/node/'))).toEqual([]);
  });
});

describe.each(['esm', 'cjs'] as const)('the built piapi-webhook/fetch entry (dist/%s)', (format) => {
  it('imports, itself or through the chunks it shares with the other entries, no node:* module and no package the source does not', async () => {
    const entry = built(format);
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" (npm test does).`);
    // Every file of dist it loads, and the imports it leaves to the runtime: what a chunk shared with the Express entry would leak.
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'neutral',
      packages: 'external',
      logLevel: 'silent',
    });
    const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports);
    const external = imports.filter((record) => record.external).map((record) => record.path);
    expect(external.filter((path) => isBuiltin(path))).toEqual([]);
    const fromSource = new Set((await bundle()).inputs.map(packageOf));
    expect(external.filter((path) => !fromSource.has(packageOf(path)))).toEqual([]);
  }, 60_000);
});
