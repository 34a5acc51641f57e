import { PiapiWebhookConfigError } from '../../core/errors.js';
import { describe } from '../../core/option-checks.js';

/** The SQL dialects `sqlStore` speaks: placeholders `$1` (Postgres) or `?` (SQLite, D1, libSQL). */
export type SqlDialect = 'postgres' | 'sqlite';

/** The default prefix of the store's two tables. */
export const DEFAULT_TABLE = 'piapi_webhook';

/** The two tables of one store, named from its prefix. */
export interface TableNames {
  /** One row per delivery key. */
  readonly keys: string;
  /** One row per watched task. */
  readonly watches: string;
}

/**
 * A key's state column. Leased while a handler runs (its lease expiry in
 * `lease_until`), free after a failed handler released it, done once its handler succeeded.
 */
export const LEASED = 0;
export const FREE = 1;
export const DONE = 2;

// A plain identifier: the name goes into SQL text, never a parameter, so nothing else is accepted.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

/** Checks the dialect option. */
export function checkDialect(option: string, dialect: unknown): SqlDialect {
  if (dialect === 'postgres' || dialect === 'sqlite') return dialect;
  throw new PiapiWebhookConfigError(option, `must be 'postgres' or 'sqlite', received ${describe(dialect)}.`);
}

/** The tables' names from the prefix, which must be a plain SQL identifier (it is written into the statements). */
export function tableNames(option: string, table: unknown = DEFAULT_TABLE): TableNames {
  if (typeof table !== 'string' || !IDENTIFIER.test(table)) {
    throw new PiapiWebhookConfigError(
      option,
      `must be a plain SQL identifier (letters, digits and _, at most 48, not starting with a digit), received ${describe(table)}.`,
    );
  }
  return { keys: `${table}_keys`, watches: `${table}_watches` };
}

/**
 * The DDL, one statement per string: drivers such as better-sqlite3 and D1's
 * `prepare` take one at a time. Times are milliseconds since the epoch
 * (bigint in Postgres; SQLite's INTEGER is 64-bit already).
 */
export function schemaStatements(dialect: SqlDialect, { keys, watches }: TableNames): string[] {
  const [int8, int2] = dialect === 'postgres' ? ['bigint', 'smallint'] : ['INTEGER', 'INTEGER'];
  return [
    `CREATE TABLE IF NOT EXISTS ${keys} (
  delivery_key text PRIMARY KEY,
  state ${int2} NOT NULL,
  owner text,
  attempts integer NOT NULL,
  lease_until ${int8} NOT NULL,
  expires_at ${int8} NOT NULL
)`,
    `CREATE INDEX IF NOT EXISTS ${keys}_expires_at ON ${keys} (expires_at)`,
    `CREATE TABLE IF NOT EXISTS ${watches} (
  task_id text PRIMARY KEY,
  due_at ${int8} NOT NULL,
  watched_at ${int8} NOT NULL,
  checks integer NOT NULL
)`,
    `CREATE INDEX IF NOT EXISTS ${watches}_due_at ON ${watches} (due_at)`,
  ];
}
