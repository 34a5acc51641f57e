// Builds dist/cjs and dist/esm from lib/ with tsc, each with its own type declarations.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

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
