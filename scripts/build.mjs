// Builds dist/cjs and dist/esm from lib/ with tsc, each with its own type declarations,
// then bundles the ESM JavaScript with esbuild (see bundleEsm).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const targets = [
  { outDir: 'dist/cjs', type: 'commonjs', flags: ['--module', 'node16', '--moduleResolution', 'node16'] },
  // preserve, not esnext: it keeps a .cts file's `import x = require()` (lib/testing/fixture-data.cts) as require in
  // its .cjs output, and emits every .ts file as ESM exactly as esnext does.
  { outDir: 'dist/esm', type: 'module', flags: ['--module', 'preserve', '--moduleResolution', 'bundler'] },
];

rmSync('dist', { recursive: true, force: true });
for (const { outDir, type, flags } of targets) {
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir, ...flags], { stdio: 'inherit' });
  mkdirSync(outDir, { recursive: true });
  // Tells Node (and type checkers) which module system the .js and .d.ts files in this folder use.
  writeFileSync(`${outDir}/package.json`, `${JSON.stringify({ type })}\n`);
}
await bundleEsm('dist/esm');

/**
 * Replaces tsc's per-module ESM files with one bundle per "import" entry of package.json
 * "exports", plus shared chunks. Node's ESM loader resolves and links the modules of a
 * graph one by one: ~50 ms of the Fetch entry's cold start went there, for ~35 modules.
 * The entries are bundled together, with code splitting, so that each module (and so each
 * class: `instanceof PiapiWebhookRejection` across entries) exists once. Dependencies and
 * node:* built-ins stay imports. The .d.ts files stay as tsc wrote them, and so does
 * testing/fixtures.json, which testing/fixture-data.d.cts reads for its type.
 */
async function bundleEsm(outDir) {
  const { exports } = JSON.parse(readFileSync('package.json', 'utf8'));
  const entryPoints = Object.values(exports)
    .map((branches) => branches.import?.default)
    .filter((file) => file !== undefined)
    .map((file) => join(file));
  const result = await build({
    entryPoints,
    outdir: outDir,
    outbase: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [fixturesAsJson()],
    // Each output replaces the input of the same path: the per-module files are removed before these are written.
    write: false,
    allowOverwrite: true,
    metafile: true,
    logLevel: 'warning',
  });
  for (const file of listFiles(outDir)) {
    if (/\.c?js$/.test(file)) rmSync(file);
  }
  for (const { path, contents } of result.outputFiles) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, contents);
  }
  // The Fetch entry runs where node:* modules do not exist (workerd without nodejs_compat):
  // splitting must not hand it a chunk that imports one, or raw-body, which needs them.
  const fetchEntry = join(outDir, 'fetch/index.js');
  const nodeOnly = staticImports(result.metafile, fetchEntry).filter((path) => path.startsWith('node:') || path === 'raw-body');
  if (nodeOnly.length > 0) throw new Error(`${fetchEntry} imports Node-only modules: ${nodeOnly.join(', ')}`);
}

/**
 * testing/fixture-data.cts only exists so that Node loads fixtures.json with require (no
 * import attribute). A bundle inlines the JSON; going through the CommonJS module would add
 * esbuild's CommonJS helpers in a chunk that every entry then imports (esbuild issue #1892).
 */
function fixturesAsJson() {
  return {
    name: 'fixtures-as-json',
    setup(build) {
      build.onResolve({ filter: /\/fixture-data\.cjs$/ }, ({ path, resolveDir }) => ({ path: join(resolveDir, dirname(path), 'fixtures.json') }));
    },
  };
}

/** Every file under dir, recursively. */
function listFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The external modules that an output file imports statically, itself or through the chunks it imports. */
function staticImports(metafile, file, seen = new Set()) {
  const key = relative(process.cwd(), file);
  if (seen.has(key)) return [];
  seen.add(key);
  const output = metafile.outputs[key];
  if (output === undefined) throw new Error(`esbuild wrote no ${key}`);
  return output.imports
    .filter((imported) => imported.kind === 'import-statement')
    .flatMap((imported) => (imported.external ? [imported.path] : staticImports(metafile, imported.path, seen)));
}
