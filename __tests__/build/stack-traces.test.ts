/**
 * Issue 18, item 18: a stack trace from the built package points at a readable
 * line of a named function, under a comment naming the source file in lib/, in
 * both module formats (not `chunk-….js:902:184` on one long minified line).
 * Runs the built dist in a child process, as an app would load it; `npm test` builds first.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(__dirname, '..', '..');
const THROW = "piapiWebhook({ secret: 's', onTask() {}, maxQueue: -1 })";

const scripts: Array<[string, string[]]> = [
  [
    'dist/cjs',
    ['-e', `const { piapiWebhook } = require('piapi-webhook'); try { ${THROW} } catch (e) { console.log(e.stack) }`],
  ],
  [
    'dist/esm',
    [
      '--input-type=module',
      '-e',
      `import { piapiWebhook } from 'piapi-webhook'; try { ${THROW} } catch (e) { console.log(e.stack) }`,
    ],
  ],
];

describe.each(scripts)('a config error thrown by %s', (folder, args) => {
  beforeAll(() => {
    if (!existsSync(join(ROOT, folder, 'index.js'))) throw new Error(`${folder} is missing: run "npm run build".`);
  });

  it('has a stack whose first frame names the function, on a readable line under a comment naming its lib/ source', () => {
    // The package resolves itself by name from its own folder (package.json "exports").
    const stack = execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
    const frame = /^\s+at (\S+) \((.+):(\d+):(\d+)\)$/m.exec(stack);
    expect(frame).not.toBeNull();
    const [, name, location, line] = frame!;
    // ESM frames name a file: URL.
    const file = location!.startsWith('file:') ? fileURLToPath(location!) : location!;
    expect(name).toBe('nonNegativeInteger');
    expect(file).toContain(join(ROOT, folder));
    const lines = readFileSync(file, 'utf8').split('\n');
    const index = Number(line) - 1;
    const code = lines[index]!;
    expect(code.trim()).toMatch(/^throw new PiapiWebhookConfigError\(/);
    expect(code.length).toBeLessThan(200);
    // The nearest module comment above the line names the source file, which defines the function.
    const marker = lines
      .slice(0, index)
      .reverse()
      .map((text) => /^\/\/!? (lib\/\S+\.c?ts)$/.exec(text)?.[1])
      .find((source) => source !== undefined);
    expect(marker).toBe('lib/core/option-checks.ts');
    expect(readFileSync(join(ROOT, marker!), 'utf8')).toContain('function nonNegativeInteger(');
  });
});
