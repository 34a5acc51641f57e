import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

/** README.md and every page of docs/: wherever the options tables end up, they are checked. */
function documentationPages(): string[] {
  const docs = join(ROOT, 'docs');
  const pages = existsSync(docs)
    ? readdirSync(docs, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.md'))
        .map((file) => join(docs, file))
    : [];
  return [join(ROOT, 'README.md'), ...pages];
}

/**
 * Every documentation table whose header starts with `firstHeader`, as rows: first cell → the
 * `column`th cell. At least one such table must exist; a brief one may list fewer options.
 */
function documentedTables(firstHeader: string, column: number): Array<Map<string, string>> {
  const tables: Array<Map<string, string>> = [];
  for (const page of documentationPages()) {
    const lines = readFileSync(page, 'utf8').split('\n');
    lines.forEach((line, start) => {
      if (!line.startsWith(`| ${firstHeader} |`)) return;
      const rows = new Map<string, string>();
      tables.push(rows);
      for (const row of lines.slice(start + 2)) {
        if (!row.startsWith('|')) break;
        // Split on the pipes that are not escaped (`string \| string[]`).
        const cells = row
          .split(/(?<!\\)\|/)
          .slice(1, -1)
          .map((cell) => cell.trim());
        const name = cells[0]?.replace(/`/g, '');
        const value = cells[column]?.replace(/`/g, '');
        if (name !== undefined && value !== undefined) rows.set(name, value);
      }
    });
  }
  if (tables.length === 0) throw new Error(`no table headed "${firstHeader}" in README.md or docs/`);
  return tables;
}

const { recovery, memoryStore, redisStore, fastify, ...webhook } = DEFAULTS;

const sections: Array<[string, Record<string, unknown>, Map<string, string>]> = [
  ['piapiWebhook', webhook, documentedDefaults('lib/core/options.ts', 'PiapiWebhookOptions')],
  ['recovery', recovery, documentedDefaults('lib/recovery/options.ts', 'RecoveryOptions')],
  ['memoryStore', memoryStore, documentedDefaults('lib/stores/memory.ts', 'MemoryStoreOptions')],
  ['redisStore and upstashStore', redisStore, documentedDefaults('lib/stores/script-store.ts', 'ScriptStoreOptions')],
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

  describe.each<[string, Record<string, unknown>, Array<Map<string, string>>]>([
    ['options', webhook, documentedTables('option', 2)],
    ['recovery', recovery, documentedTables('`recovery.`', 1)],
  ])("and the documentation's %s tables (README.md and docs/)", (_name, defaults, tables) => {
    it.each(Object.entries(defaults))('list %s, always with its default', (option, value) => {
      const listed = tables.filter((table) => table.has(option));
      expect(listed.length).toBeGreaterThan(0);
      for (const table of listed) expect(table.get(option)).toBe(written(value));
    });

    it('list no value default that DEFAULTS lacks', () => {
      const literal = tables.flatMap((table) =>
        [...table].filter(([, text]) => LITERAL.test(text)).map(([option]) => option),
      );
      expect([...new Set(literal)].sort()).toEqual(Object.keys(defaults).sort());
    });
  });

  it('is frozen, to the last level', () => {
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
    for (const section of [recovery, memoryStore, redisStore, fastify]) expect(Object.isFrozen(section)).toBe(true);
  });
});
