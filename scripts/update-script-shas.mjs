// Rewrites the SHA-1 constants of lib/stores/redis-scripts.ts from the scripts' text.
// Run it after changing a script: __tests__/stores/redis-scripts.test.ts fails until then.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const file = 'lib/stores/redis-scripts.ts';
const { outputFiles } = await build({
  entryPoints: [file],
  bundle: true,
  format: 'esm',
  write: false,
  logLevel: 'warning',
});
const scripts = await import(`data:text/javascript,${encodeURIComponent(outputFiles[0].text)}`);
let text = readFileSync(file, 'utf8');
for (const [name, script] of Object.entries(scripts)) {
  if (typeof script?.source !== 'string') continue;
  const sha = createHash('sha1').update(script.source).digest('hex');
  const declaration = new RegExp(`(export const ${name}: Script = \\{ source: \\w+, sha: )'[0-9a-f]*'`);
  if (!declaration.test(text)) throw new Error(`no constant declaration of ${name} in ${file}`);
  text = text.replace(declaration, `$1'${sha}'`);
}
writeFileSync(file, text);
