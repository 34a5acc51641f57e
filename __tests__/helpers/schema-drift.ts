/**
 * Compares a JSON Schema with a TypeScript type, field by field, using the
 * compiler's own view of the type: the payload's shape is written twice (the
 * schema the validators are generated from, and the hand-written types), and
 * this says where the two disagree.
 */
import { join } from 'node:path';
import ts from 'typescript';

/** The part of JSON Schema the notification schemas use. */
export interface Schema {
  readonly $id?: string;
  readonly $ref?: string;
  readonly type?: string | readonly string[];
  readonly enum?: readonly unknown[];
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly allOf?: readonly Schema[];
  readonly [keyword: string]: unknown;
}

/** One schema with its `allOf` and `$ref`s (to the given schemas, by `$id`) merged in. */
export function mergeSchema(schema: Schema, byId: ReadonlyMap<string, Schema>): Schema {
  const parts = [
    ...(schema.allOf ?? []).map((part) => mergeSchema(part, byId)),
    ...(schema.$ref === undefined ? [] : [mergeSchema(lookup(byId, schema.$ref), byId)]),
  ];
  const { allOf: _allOf, $ref: _ref, ...own } = schema;
  let merged: Schema = own;
  for (const part of parts) merged = mergeTwo(merged, part);
  return merged;
}

function lookup(byId: ReadonlyMap<string, Schema>, id: string): Schema {
  const found = byId.get(id);
  if (found === undefined) throw new Error(`no schema with $id ${id}`);
  return found;
}

function mergeTwo(a: Schema, b: Schema): Schema {
  const properties: Record<string, Schema> = { ...a.properties };
  for (const [name, schema] of Object.entries(b.properties ?? {})) {
    const mine = properties[name];
    properties[name] = mine === undefined ? schema : mergeTwo(mine, schema);
  }
  return {
    ...b,
    ...a,
    required: [...new Set([...(a.required ?? []), ...(b.required ?? [])])],
    properties,
  };
}

/** A virtual file beside the tests, so that `source` can import from ../../lib. */
const PROBE = join(__dirname, '__schema-drift-probe__.ts');

/**
 * The type `name` exported by `source`, with the checker that can walk it.
 *
 * @param source - TypeScript that exports the type, importing from '../../lib/…'
 * @param name - the exported type's name
 */
export function typeOf(source: string, name: string): { readonly type: ts.Type; readonly checker: ts.TypeChecker } {
  const { checker, file } = programs.get(source) ?? compile(source);
  const symbol = checker.getSymbolAtLocation(file);
  const exported = symbol === undefined ? undefined : checker.getExportsOfModule(symbol).find((s) => s.name === name);
  if (exported === undefined) throw new Error(`the probe exports no ${name}`);
  return { type: checker.getDeclaredTypeOfSymbol(exported), checker };
}

/** A program costs seconds (lib.d.ts, the package's sources): one per probe source, however many types it exports. */
const programs = new Map<string, { readonly checker: ts.TypeChecker; readonly file: ts.SourceFile }>();

function compile(source: string): { readonly checker: ts.TypeChecker; readonly file: ts.SourceFile } {
  const options: ts.CompilerOptions = {
    strict: true,
    exactOptionalPropertyTypes: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    skipLibCheck: true,
    noEmit: true,
    types: [],
    lib: ['lib.es2022.d.ts'],
  };
  const base = ts.createCompilerHost(options);
  const host: ts.CompilerHost = {
    ...base,
    getSourceFile: (file, language, ...rest) =>
      file === PROBE ? ts.createSourceFile(file, source, language) : base.getSourceFile(file, language, ...rest),
    fileExists: (file) => file === PROBE || base.fileExists(file),
    readFile: (file) => (file === PROBE ? source : base.readFile(file)),
  };
  const program = ts.createProgram([PROBE], options, host);
  const file = program.getSourceFile(PROBE);
  if (file === undefined) throw new Error('the probe did not compile');
  const compiled = { checker: program.getTypeChecker(), file };
  programs.set(source, compiled);
  return compiled;
}

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'null';

/** The JSON kind of one (non-union) type; undefined for `unknown` and `any`. */
function kindOf(member: ts.Type, checker: ts.TypeChecker): Kind | undefined {
  const flags = member.flags;
  if (flags & (ts.TypeFlags.Unknown | ts.TypeFlags.Any)) return undefined;
  if (flags & ts.TypeFlags.Null) return 'null';
  if (flags & ts.TypeFlags.StringLike) return 'string';
  if (flags & ts.TypeFlags.NumberLike) return 'number';
  if (flags & ts.TypeFlags.BooleanLike) return 'boolean';
  // `string & {}`: an open string union member.
  if (member.isIntersection() && member.types.some((part) => part.flags & ts.TypeFlags.StringLike)) return 'string';
  if (checker.isArrayType(member) || checker.isTupleType(member)) return 'array';
  return 'object';
}

/** The JSON kinds a schema allows (integer is a number to TypeScript); undefined when it allows anything. */
function schemaKinds(schema: Schema): Set<Kind> | undefined {
  if (schema.type === undefined) return undefined;
  const types = typeof schema.type === 'string' ? [schema.type] : schema.type;
  return new Set(types.map((type) => (type === 'integer' ? 'number' : type) as Kind));
}

/** The members of a union, or the type itself, without `undefined` (optionality is compared apart). */
function members(type: ts.Type): ts.Type[] {
  const all = type.isUnion() ? type.types : [type];
  return all.filter((member) => (member.flags & ts.TypeFlags.Undefined) === 0);
}

/** The JSON kinds a TypeScript type allows; undefined when it is `unknown` or `any`. */
function typeKinds(type: ts.Type, checker: ts.TypeChecker): Set<Kind> | undefined {
  const kinds = new Set<Kind>();
  for (const member of members(type)) {
    const kind = kindOf(member, checker);
    if (kind === undefined) return undefined;
    kinds.add(kind);
  }
  return kinds;
}

const sorted = (set: Set<unknown> | undefined): string => (set === undefined ? 'anything' : [...set].sort().join('|'));

/**
 * Where `schema` and `type` disagree: a field one has and the other lacks, a
 * field required in one and optional in the other, another JSON type, another
 * enum. Empty when they agree.
 *
 * @param schema - a schema with its `allOf` and `$ref`s merged (see {@link mergeSchema})
 * @param type - the TypeScript type of the same value
 * @param checker - the checker `type` came from
 * @param ignored - paths (`data.config.webhook_config.secret`) the types leave out on purpose
 * @param path - where in the value this is, for the report
 */
export function schemaDrift(
  schema: Schema,
  type: ts.Type,
  checker: ts.TypeChecker,
  ignored: ReadonlySet<string> = new Set(),
  path = 'body',
): string[] {
  const problems: string[] = [];
  const expected = schemaKinds(schema);
  const actual = typeKinds(type, checker);
  if (sorted(expected) !== sorted(actual)) {
    problems.push(`${path}: the schema allows ${sorted(expected)}, the type ${sorted(actual)}`);
  }
  if (schema.enum !== undefined) {
    const literals = new Set(
      members(type).map((member) =>
        member.isStringLiteral() || member.isNumberLiteral() ? String(member.value) : checker.typeToString(member),
      ),
    );
    const values = new Set(schema.enum.map(String));
    if (sorted(literals) !== sorted(values)) {
      problems.push(`${path}: the schema's enum is ${sorted(values)}, the type's ${sorted(literals)}`);
    }
  }
  if (schema.properties === undefined) return problems;
  // An interface, a mapped type, or an intersection of them (PiapiTaskOf is Omit<…> & {…}).
  const object = members(type).find((member) => kindOf(member, checker) === 'object');
  if (object === undefined) return problems;
  const required = new Set(schema.required ?? []);
  for (const [name, fieldSchema] of Object.entries(schema.properties)) {
    const where = `${path}.${name}`;
    if (ignored.has(where)) continue;
    const field = checker.getPropertyOfType(object, name);
    if (field === undefined) {
      problems.push(`${where}: in the schema, not in the type`);
      continue;
    }
    const optional = (field.flags & ts.SymbolFlags.Optional) !== 0;
    if (optional === required.has(name)) {
      problems.push(`${where}: ${required.has(name) ? 'required' : 'optional'} in the schema, not in the type`);
    }
    problems.push(...schemaDrift(fieldSchema, checker.getTypeOfSymbol(field), checker, ignored, where));
  }
  for (const field of checker.getPropertiesOfType(object)) {
    const where = `${path}.${field.name}`;
    if (!(field.name in schema.properties) && !ignored.has(where)) {
      problems.push(`${where}: in the type, not in the schema`);
    }
  }
  return problems;
}
