import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { DEFAULTS } from '../../lib/core/defaults.js';

const ROOT = join(__dirname, '..', '..');

/** How a default is written in TSDoc and in the README: 300, '1mb', false. */
function written(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/** A default that is a value (a number, a quoted string, a boolean), not a behaviour ("logs the error", "none"). */
const LITERAL = /^(-?\d+(\.\d+)?|'[^']*'|true|false)(?=\s|$)/;

/** Each property of `interfaceName` in `file` that has a `@defaultValue`, with that tag's text. */
function documentedDefaults(file: string, interfaceName: string): Map<string, string> {
  const path = join(ROOT, file);
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
  const declaration = source.statements.find(
    (node): node is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(node) && node.name.text === interfaceName,
  );
  if (declaration === undefined) throw new Error(`${file} declares no interface ${interfaceName}`);
  const found = new Map<string, string>();
  for (const member of declaration.members) {
    if (!ts.isPropertySignature(member) || !ts.isIdentifier(member.name)) continue;
    const tag = ts.getJSDocTags(member).find((candidate) => candidate.tagName.text === 'defaultValue');
    if (tag === undefined) continue;
    found.set(member.name.text, ts.getTextOfJSDocComment(tag.comment)?.trim() ?? '');
  }
  return found;
}

/** The rows of the README table whose header starts with `firstHeader`: first cell → the `column`th cell. */
function readmeTable(firstHeader: string, column: number): Map<string, string> {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.startsWith(`| ${firstHeader} |`));
  if (start === -1) throw new Error(`README.md has no table headed "${firstHeader}"`);
  const rows = new Map<string, string>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    // Split on the pipes that are not escaped (`string \| string[]`).
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((cell) => cell.trim());
    const name = cells[0]?.replace(/`/g, '');
    const value = cells[column]?.replace(/`/g, '');
    if (name !== undefined && value !== undefined) rows.set(name, value);
  }
  return rows;
}

const { recovery, memoryStore, redisStore, fastify, ...webhook } = DEFAULTS;

const sections: Array<[string, Record<string, unknown>, Map<string, string>]> = [
  ['piapiWebhook', webhook, documentedDefaults('lib/core/options.ts', 'PiapiWebhookOptions')],
  ['recovery', recovery, documentedDefaults('lib/recovery/options.ts', 'RecoveryOptions')],
  ['memoryStore', memoryStore, documentedDefaults('lib/stores/memory.ts', 'MemoryStoreOptions')],
  ['redisStore', redisStore, documentedDefaults('lib/stores/redis.ts', 'RedisStoreOptions')],
  ['the Fastify plugin', fastify, documentedDefaults('lib/fastify/plugin.ts', 'PiapiWebhookPluginOptions')],
];

describe('DEFAULTS, the one table of defaults', () => {
  describe.each(sections)("and %s's TSDoc", (_name, defaults, documented) => {
    it.each(Object.entries(defaults))('document %s with its default', (option, value) => {
      const text = documented.get(option);
      expect(text).toBeDefined();
      expect(LITERAL.exec(text ?? '')?.[1]).toBe(written(value));
    });

    it('leave no documented value default out of DEFAULTS', () => {
      const literal = [...documented].filter(([, text]) => LITERAL.test(text)).map(([option]) => option);
      expect(literal.sort()).toEqual(Object.keys(defaults).sort());
    });
  });

  describe.each<[string, Record<string, unknown>, Map<string, string>]>([
    ['options', webhook, readmeTable('option', 2)],
    ['recovery', recovery, readmeTable('`recovery.`', 1)],
  ])("and the README's %s table", (_name, defaults, table) => {
    it.each(Object.entries(defaults))('give %s its default', (option, value) => {
      expect(table.get(option)).toBe(written(value));
    });

    it('list no value default that DEFAULTS lacks', () => {
      const literal = [...table].filter(([, text]) => LITERAL.test(text)).map(([option]) => option);
      expect(literal.sort()).toEqual(Object.keys(defaults).sort());
    });
  });

  it('is frozen, to the last level', () => {
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
    for (const section of [recovery, memoryStore, redisStore, fastify]) expect(Object.isFrozen(section)).toBe(true);
  });
});
