import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeSchema, type Schema, schemaDrift, typeOf } from '../helpers/schema-drift.js';

const SCHEMA_DIR = join(__dirname, '..', '..', 'lib', 'schema');
const read = (name: string): Schema =>
  JSON.parse(readFileSync(join(SCHEMA_DIR, `notification-${name}.schema.json`), 'utf8')) as Schema;
const required = read('required');
const documented = read('documented');
const byId = new Map([
  ['required', required],
  ['documented', documented],
]);
/** The whole documented notification: the required part and the optional fields. */
const notification = mergeSchema(documented, byId);

// PiAPI echoes the webhook secret there; normalizeTask deletes it, so no type may offer it.
const IGNORED = new Set(['body.data.config.webhook_config.secret']);

const MODELS = ['midjourney', 'music-s', 'kling', 'Qubico/flux1-dev'];
/** One probe for every type compared, so the package is compiled once. */
const PROBE = [
  "export type { PiapiNotification } from '../../lib/core/types.js';",
  "import type { PiapiTaskOf } from '../../lib/core/outputs.js';",
  ...MODELS.map(
    (model, index) => `export interface Probe${index} { timestamp: number; data: PiapiTaskOf<'${model}'> }`,
  ),
].join('\n');

/** The drift between a schema and a type exported by the probe. */
function drift(schema: Schema, name: string): string[] {
  const { type, checker } = typeOf(PROBE, name);
  return schemaDrift(schema, type, checker, IGNORED);
}

describe("the notification schema (lib/schema/) and the payload's TypeScript types", () => {
  it('agree on PiapiNotification (lib/core/types.ts): every field, whether it is required, and its JSON type', () => {
    expect(drift(notification, 'PiapiNotification')).toEqual([]);
  });

  it.each(MODELS.map((model, index) => [model, index]))(
    "agree on a %s task's notification (lib/core/outputs.ts' PiapiTaskOf)",
    (_model, index) => {
      expect(drift(notification, `Probe${index}`)).toEqual([]);
    },
  );

  it('agree on what the receiver requires: the required schema alone', () => {
    const problems = drift(mergeSchema(required, byId), 'PiapiNotification');
    // The required schema names only timestamp, data and data's four; everything else the type has is optional.
    expect(problems.filter((problem) => !problem.endsWith('in the type, not in the schema'))).toEqual([]);
  });
});

describe('the schema-and-types comparison', () => {
  const schema: Schema = {
    type: 'object',
    required: ['id', 'state'],
    properties: {
      id: { type: 'string' },
      state: { type: 'string', enum: ['on', 'off'] },
      count: { type: 'integer' },
      tags: { type: ['array', 'null'] },
    },
  };
  const agreeing = "id: string; state: 'on' | 'off'; count?: number; tags?: string[] | null";
  const cases: Array<[string, string, string]> = [
    [
      'a field optional in the type but required in the schema',
      "id?: string; state: 'on' | 'off'; count?: number; tags?: string[] | null",
      'body.id: required in the schema, not in the type',
    ],
    [
      'a field required in the type but optional in the schema',
      "id: string; state: 'on' | 'off'; count: number; tags?: string[] | null",
      'body.count: optional in the schema, not in the type',
    ],
    [
      'a field the type lacks',
      "id: string; state: 'on' | 'off'; tags?: string[] | null",
      'body.count: in the schema, not in the type',
    ],
    [
      'a field the schema lacks',
      "id: string; state: 'on' | 'off'; count?: number; tags?: string[] | null; extra?: string",
      'body.extra: in the type, not in the schema',
    ],
    [
      'another enum',
      "id: string; state: 'on' | 'off' | 'broken'; count?: number; tags?: string[] | null",
      "body.state: the schema's enum is off|on, the type's broken|off|on",
    ],
    [
      'another JSON type',
      "id: number; state: 'on' | 'off'; count?: number; tags?: string[] | null",
      'body.id: the schema allows string, the type number',
    ],
    [
      'a null the type does not allow',
      "id: string; state: 'on' | 'off'; count?: number; tags?: string[]",
      'body.tags: the schema allows array|null, the type array',
    ],
  ];
  // Every variant in one probe: one compilation.
  const source = [agreeing, ...cases.map(([, body]) => body)]
    .map((body, index) => `export interface T${index} { ${body} }`)
    .join('\n');
  const check = (index: number): string[] => {
    const { type, checker } = typeOf(source, `T${index}`);
    return schemaDrift(schema, type, checker);
  };

  it('finds nothing when they agree', () => {
    expect(check(0)).toEqual([]);
  });

  it.each(cases.map(([name, , problem], index) => [name, index + 1, problem] as const))(
    'reports %s',
    (_name, index, problem) => {
      expect(check(index)).toEqual([problem]);
    },
  );
});
