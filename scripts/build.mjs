// Builds dist/cjs and dist/esm from lib/ with tsc, each with its own type declarations,
// then replaces tsc's per-module JavaScript with esbuild bundles (see bundle()).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { build, transform } from 'esbuild';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const targets = [
  { outDir: 'dist/cjs', type: 'commonjs', flags: ['--module', 'node16', '--moduleResolution', 'node16'] },
  // preserve, not esnext: it keeps a .cts file's `import x = require()` (lib/testing/fixture-data.cts) as require in
  // its .cjs output, and emits every .ts file as ESM exactly as esnext does.
  { outDir: 'dist/esm', type: 'module', flags: ['--module', 'preserve', '--moduleResolution', 'bundler'] },
];

/** Entries bundled on their own, as output paths relative to their format's folder. */
const BUNDLED_ALONE = new Set(['redis.js', 'upstash.js', 'sql.js', 'testing/index.js']);

/** What every bundle of bundle() shares. */
const BUNDLE_OPTIONS = {
  bundle: true,
  format: 'esm',
  // The bundled dependencies' builds for runtimes without Node's modules, which the Fetch entry
  // needs: lru-cache's others import node:diagnostics_channel, @noble/hashes' Node one node:crypto.
  platform: 'neutral',
  mainFields: ['module', 'main'],
  conditions: ['browser'],
  target: 'node20',
  external: ['raw-body', 'commander', 'node:*'],
  // Not minified: a stack trace then points at a readable line (`at parseOptions (chunk-….js:1016:11)`
  // on `throw new PiapiWebhookConfigError(…)`), under a `// dist/esm/core/options.js` comment that
  // names the module. Minifying whitespace and syntax saved no measurable cold start (issue 18).
  plugins: [fixturesAsJson()],
  // Outputs replace inputs of the same path: the per-module files are removed before these are written.
  write: false,
  allowOverwrite: true,
  metafile: true,
  logLevel: 'warning',
};

rmSync('dist', { recursive: true, force: true });
for (const { outDir, type, flags } of targets) {
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir, ...flags], {
    stdio: 'inherit',
  });
  mkdirSync(outDir, { recursive: true });
  // Tells Node (and type checkers) which module system the .js and .d.ts files in this folder use.
  writeFileSync(`${outDir}/package.json`, `${JSON.stringify({ type })}\n`);
}

// Both bundles start from tsc's ESM output, so both are made before any per-module file is removed.
const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const esm = await bundle('dist/esm', entriesOf(manifest, 'import'));
const cjs = await bundle('dist/cjs', entriesOf(manifest, 'require'));
const cli = await bundleCli(Object.values(manifest.bin));
replaceJavaScript(
  'dist/esm',
  esm.outputFiles.map(({ path, text }) => ({ path, contents: nameSources(text, '//') })),
);
replaceJavaScript('dist/cjs', [...(await Promise.all(cjs.outputFiles.map(toCommonJs))), ...cli]);
writeFileSync('dist/THIRD_PARTY_NOTICES.md', thirdPartyNotices(esm.metafiles));

/**
 * Node's loaders resolve, read and compile the modules of a graph one by one: for ~35
 * modules, that was ~50 ms of the Fetch entry's cold start (ESM) and over half of the
 * Express entry's (CommonJS). So each entry point becomes one file, plus the chunk it
 * shares with the other entries of its format, bundled together with code splitting so
 * that each module (and so each class: `instanceof PiapiWebhookRejection` across entries)
 * still exists once per format. The small dependencies of the core (lru-cache, bytes,
 * content-type, @noble/hashes) are bundled too: loading them as packages was most of the
 * Fetch entry's remaining cold start (CommonJS ones from ESM start Node's CommonJS loader,
 * and @noble/hashes' Node export loads node:crypto). raw-body (Node-only, shared with
 * Express), commander (the CLI) and node:* built-ins stay imports. The bundle is ESM
 * (esbuild splits nothing else); dist/cjs converts it after. The .d.ts files stay as tsc
 * wrote them, and so does testing/fixtures.json, which testing/fixture-data.d.cts reads
 * for its type.
 *
 * Only the entries that run webhooks are split together. Each of the others is bundled on
 * its own (see bundleAlone()): in the split, the errors module (shared with the redis
 * entry) and esbuild's helpers (with the testing kit) would each become one more chunk,
 * one more file for every webhook entry to load: about 3 ms of the Fetch entry's cold start.
 *
 * @param outDir - where the outputs go, as `entries` name them
 * @param entries - output paths, such as dist/cjs/fetch/index.js
 * @returns esbuild's output files, written nowhere yet, and the metafiles of its builds
 */
async function bundle(outDir, entries) {
  const alone = entries.filter((file) => BUNDLED_ALONE.has(relative(outDir, file)));
  const split = await build({
    ...BUNDLE_OPTIONS,
    entryPoints: entries.filter((file) => !alone.includes(file)).map((file) => fromTscEsm(outDir, file)),
    outdir: outDir,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  });
  // The Fetch entry runs where node:* modules do not exist (workerd without nodejs_compat):
  // splitting must not hand it a chunk that imports one, or raw-body, which needs them.
  const fetchEntry = join(outDir, 'fetch/index.js');
  const nodeOnly = staticImports(split.metafile, fetchEntry).filter(
    (path) => path.startsWith('node:') || path === 'raw-body',
  );
  if (nodeOnly.length > 0) throw new Error(`${fetchEntry} imports Node-only modules: ${nodeOnly.join(', ')}`);
  const others = await Promise.all(alone.map((file) => bundleAlone(outDir, file, split.metafile)));
  // The upstash entry runs on Workers without nodejs_compat too: it may import no node:* module.
  const upstashEntry = relative(process.cwd(), join(outDir, 'upstash.js'));
  for (const { metafile } of others) {
    const imports = metafile.outputs[upstashEntry]?.imports ?? [];
    const nodeOnly = imports.filter((imported) => imported.path.startsWith('node:') || imported.path === 'raw-body');
    if (nodeOnly.length > 0)
      throw new Error(`${upstashEntry} imports Node-only modules: ${nodeOnly.map((i) => i.path)}`);
  }
  return {
    outputFiles: [...split.outputFiles, ...others.flatMap((result) => result.outputFiles)],
    metafiles: [split.metafile, ...others.map((result) => result.metafile)],
  };
}

/**
 * One entry as a single file, but for the errors module: that one it imports from the
 * split's chunk, so that the redis entry throws the same PiapiWebhookConfigError as the others.
 */
async function bundleAlone(outDir, file, splitMetafile) {
  const errorsModule = 'dist/esm/core/errors.js';
  const [errorsChunk] = Object.entries(splitMetafile.outputs)
    .filter(([output]) => output.includes('/chunks/'))
    .flatMap(([output, { inputs }]) => (errorsModule in inputs ? [output] : []));
  if (errorsChunk === undefined) throw new Error(`no chunk of ${outDir} holds ${errorsModule}`);
  const fromEntry = relative(dirname(file), errorsChunk).replace(/^(?!\.)/, './');
  return build({
    ...BUNDLE_OPTIONS,
    entryPoints: [fromTscEsm(outDir, file)],
    outdir: outDir,
    plugins: [
      ...BUNDLE_OPTIONS.plugins,
      {
        name: 'errors-from-the-split',
        setup(build) {
          // Matched on the resolved path: core modules import it as './errors.js'.
          build.onResolve({ filter: /errors\.js$/ }, ({ path, resolveDir }) =>
            join(resolveDir, path).endsWith(join('core', 'errors.js'))
              ? { path: fromEntry, external: true }
              : undefined,
          );
        },
      },
    ],
  });
}

/** The licenses of the packages bundled into dist, which their terms ask to ship with every copy. */
function thirdPartyNotices(metafiles) {
  const packages = new Set(
    metafiles
      .flatMap((metafile) => Object.keys(metafile.inputs))
      .flatMap((input) => input.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1] ?? []),
  );
  const sections = [...packages].sort().map((name) => {
    const { version, license } = JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8'));
    const file = readdirSync(`node_modules/${name}`).find((entry) => /^licen[cs]e/i.test(entry));
    if (file === undefined) throw new Error(`${name} is bundled but ships no license file`);
    return `## ${name} ${version} (${license})\n\n\`\`\`text\n${readFileSync(`node_modules/${name}/${file}`, 'utf8').trim()}\n\`\`\`\n`;
  });
  return ['# Third-party notices', '', 'dist/ bundles these packages; their licenses follow.', '', ...sections].join(
    '\n',
  );
}

/**
 * The CLI (package.json "bin"), as one CommonJS file of its own. It runs in its own process, where
 * no user code compares its classes; in the split bundle, it would add chunks to every entry's
 * load, and (through cli/version.cts, CommonJS) esbuild's helpers in a chunk that every entry imports.
 */
async function bundleCli(bins) {
  const result = await build({
    entryPoints: bins.map((file) => fromTscEsm('dist/cjs', file)),
    outdir: 'dist/cjs',
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // As in bundle(): the dependencies the package no longer installs are bundled.
    external: ['raw-body', 'commander'],
    plugins: [fixturesAsJson()],
    write: false,
    logLevel: 'warning',
  });
  return result.outputFiles;
}

/** An esbuild entry point that builds outDir's `file` from tsc's ESM output of the same module. */
function fromTscEsm(outDir, file) {
  return { in: join('dist/esm', relative(outDir, file)), out: relative(outDir, file).replace(/\.js$/, '') };
}

/** The files package.json "exports" maps for a condition ('import' or 'require'). */
function entriesOf({ exports }, condition) {
  return Object.values(exports).flatMap((branches) =>
    branches[condition] === undefined ? [] : [join(branches[condition].default)],
  );
}

/**
 * One chunk or entry of the ESM bundle as CommonJS. The chunks import each other without
 * cycles (a chunk only imports modules shared by more entries than its own), so require()
 * runs them in the order ESM would have. "use strict" keeps ESM's strict mode.
 */
async function toCommonJs({ path, text }) {
  // transform() drops ordinary comments but keeps legal ones (//!) in place.
  const { code } = await transform(nameSources(text, '//!'), {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    banner: '"use strict";',
  });
  return { path, contents: code };
}

/**
 * esbuild heads each bundled module with a comment naming its input, here tsc's output
 * (`// dist/esm/core/options.js`): name the source file instead, so that a line a stack
 * trace points at can be traced to lib/ by reading up to the nearest such comment.
 */
function nameSources(text, marker) {
  return text.replace(/^\/\/ dist\/esm\/(\S+)\.(c?)js$/gm, (_line, module, c) => `${marker} lib/${module}.${c}ts`);
}

/** Removes tsc's .js and .cjs files from outDir and writes the bundle's outputs in their place. */
function replaceJavaScript(outDir, outputs) {
  for (const file of listFiles(outDir)) {
    if (/\.c?js$/.test(file)) rmSync(file);
  }
  for (const { path, contents } of outputs) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, contents);
  }
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
      build.onResolve({ filter: /\/fixture-data\.cjs$/ }, ({ path, resolveDir }) => ({
        path: join(resolveDir, dirname(path), 'fixtures.json'),
      }));
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
