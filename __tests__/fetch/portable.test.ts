/**
 * The Fetch entry must run where Node's built-ins are missing (Cloudflare's workerd
 * without nodejs_compat) and where code may not be compiled at run time. Bundling it
 * for a neutral platform shows exactly what it pulls in, dependencies included.
 */
import { build } from 'esbuild';
import { join } from 'node:path';

const ENTRY = join(__dirname, '..', '..', 'lib', 'fetch', 'index.ts');

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
    expect(bundled.code).not.toMatch(/["']node:/);
    expect(bundled.code).not.toMatch(/\brequire\(/);
  });

  it('uses no Buffer, eval or new Function', () => {
    expect(bundled.code).not.toMatch(/\bBuffer\b/);
    expect(bundled.code).not.toMatch(/\beval\(|new Function\b/);
  });

  it('does not carry ajv, raw-body or the Express adapter', () => {
    expect(bundled.inputs.filter((input) => /node_modules\/(ajv|raw-body|iconv-lite)\//.test(input))).toEqual([]);
    expect(bundled.inputs.filter((input) => input.includes('lib/express/') || input.includes('lib/node/'))).toEqual([]);
  });
});
