import { DONE, FREE, LEASED, type SqlDialect, type TableNames } from './schema.js';

/** A named parameter's value. Every one is a string, a number or null: what every driver binds. */
export type ParamValue = string | number | null;

/** A statement in its dialect: the SQL text and how to lay its named parameters out in order. */
export interface Statement {
  readonly text: string;
  /** A stable name, unique to this text: drivers may prepare the statement once under it (see `SqlQuery`). */
  readonly name: string;
  readonly params: (values: Readonly<Record<string, ParamValue>>) => ParamValue[];
}

/**
 * The type of each named parameter, cast in Postgres: a parameter inside a CASE
 * or a comparison has no type Postgres could infer on its own.
 */
const PARAM_TYPES: Readonly<Record<string, string>> = {
  key: 'text',
  owner: 'text',
  task: 'text',
  now: 'bigint',
  leaseUntil: 'bigint',
  keepUntil: 'bigint',
  expiresAt: 'bigint',
  dueAt: 'bigint',
  watchedAt: 'bigint',
  leaseWatchUntil: 'bigint',
  watchCutoff: 'bigint',
  checks: 'integer',
  limit: 'integer',
};

/**
 * Writes a template in a dialect: `{keys}` and `{watches}` become the table
 * names, and `:name` a placeholder: `$n::type` in Postgres (one number per
 * name), `?` in SQLite (the value repeated wherever the name is).
 */
/** FNV-1a, 32 bits, as 8 hex digits: a short stable digest without node:crypto. */
function digest(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

export function compile(dialect: SqlDialect, tables: TableNames, template: string, key: string): Statement {
  const order: string[] = [];
  const text = template
    .replace(/\{(keys|watches)\}/g, (_match, table: keyof TableNames) => tables[table])
    .replace(/:([a-zA-Z]+)/g, (_match, name: string) => {
      const type = PARAM_TYPES[name];
      if (type === undefined) throw new Error(`unknown parameter :${name}`);
      if (dialect === 'sqlite') {
        order.push(name);
        return '?';
      }
      if (!order.includes(name)) order.push(name);
      return `$${order.indexOf(name) + 1}::${type}`;
    });
  return {
    text,
    // Postgres names are at most 63 bytes: the table is in the digest, not in the name.
    name: `piapi_${key}_${digest(text)}`,
    params: (values) =>
      order.map((name) => {
        const value = values[name];
        if (value === undefined) throw new Error(`no value for :${name}`);
        return value;
      }),
  };
}

/** A key may be taken when its row has expired, it was released, or its lease has run out. */
const CLAIMABLE = `(k.expires_at <= :now OR k.state = ${FREE} OR (k.state = ${LEASED} AND k.lease_until <= :now))`;

/**
 * The claim: one upsert that always returns the key's row as it now is.
 * Its owner is the caller's exactly when the caller took it (owner tokens are
 * unique). A row that cannot be taken is rewritten unchanged, so that the
 * statement returns it, locked, in its latest version, with no second read.
 * A takeover after an expired lease counts one more attempt; a row past its
 * `expires_at` starts again from 1, as if it had been deleted.
 */
const CLAIM = `INSERT INTO {keys} AS k (delivery_key, state, owner, attempts, lease_until, expires_at)
VALUES (:key, ${LEASED}, :owner, 1, :leaseUntil, :keepUntil)
ON CONFLICT (delivery_key) DO UPDATE SET
  state = CASE WHEN ${CLAIMABLE} THEN ${LEASED} ELSE k.state END,
  owner = CASE WHEN ${CLAIMABLE} THEN excluded.owner ELSE k.owner END,
  attempts = CASE WHEN k.expires_at <= :now THEN 1 WHEN ${CLAIMABLE} THEN k.attempts + 1 ELSE k.attempts END,
  lease_until = CASE WHEN ${CLAIMABLE} THEN excluded.lease_until ELSE k.lease_until END,
  expires_at = CASE WHEN ${CLAIMABLE} THEN excluded.expires_at ELSE k.expires_at END
RETURNING state, owner, attempts`;

const WATCH_VALUES = `(task_id, due_at, watched_at, checks)`;

/** The statements of one store, in its dialect. */
export interface Statements {
  readonly claim: Statement;
  /** Postgres: the claim and, when it took the key, the watch, in one statement. */
  readonly claimAndWatch: Statement | undefined;
  /** SQLite: the watch that goes before a claim, unless the key is done already. */
  readonly watchUnlessDone: Statement | undefined;
  readonly renew: Statement;
  readonly complete: Statement;
  /** Postgres: complete and, when recorded, unwatch, in one statement. */
  readonly completeAndUnwatch: Statement | undefined;
  readonly release: Statement;
  readonly watch: Statement;
  readonly unwatch: Statement;
  readonly takeDue: Statement;
  readonly reschedule: Statement;
  readonly purgeKeys: Statement;
  readonly purgeWatches: Statement;
}

/** Every statement of a store on `tables`, written for `dialect`. */
export function statements(dialect: SqlDialect, tables: TableNames): Statements {
  const sql = (template: string, key: string): Statement => compile(dialect, tables, template, key);
  const postgres = dialect === 'postgres';
  const complete = `INSERT INTO {keys} AS k (delivery_key, state, owner, attempts, lease_until, expires_at)
VALUES (:key, ${DONE}, NULL, 1, 0, :expiresAt)
ON CONFLICT (delivery_key) DO UPDATE SET state = ${DONE}, owner = NULL, lease_until = 0, expires_at = excluded.expires_at
WHERE NOT (k.state = ${LEASED} AND k.owner <> :owner AND k.lease_until > :now)
RETURNING state`;
  return {
    claim: sql(CLAIM, 'claim'),
    claimAndWatch: postgres
      ? sql(
          `WITH c AS (${CLAIM}),
w AS (INSERT INTO {watches} ${WATCH_VALUES} SELECT :task, :dueAt, :watchedAt, 0 FROM c WHERE c.owner = :owner
  ON CONFLICT (task_id) DO NOTHING)
SELECT state, owner, attempts FROM c`,
          'claimAndWatch',
        )
      : undefined,
    watchUnlessDone: postgres
      ? undefined
      : sql(
          `INSERT INTO {watches} ${WATCH_VALUES} SELECT :task, :dueAt, :watchedAt, 0
WHERE NOT EXISTS (SELECT 1 FROM {keys} WHERE delivery_key = :key AND state = ${DONE} AND expires_at > :now)
ON CONFLICT (task_id) DO NOTHING`,
          'watchUnlessDone',
        ),
    renew: sql(
      `UPDATE {keys} SET lease_until = :leaseUntil, expires_at = :keepUntil
WHERE delivery_key = :key AND state = ${LEASED} AND owner = :owner AND lease_until > :now
RETURNING attempts`,
      'renew',
    ),
    complete: sql(complete, 'complete'),
    completeAndUnwatch: postgres
      ? sql(
          `WITH d AS (${complete}),
u AS (DELETE FROM {watches} WHERE task_id = :task AND EXISTS (SELECT 1 FROM d))
SELECT state FROM d`,
          'completeAndUnwatch',
        )
      : undefined,
    release: sql(
      `UPDATE {keys} SET state = ${FREE}, owner = NULL, lease_until = 0, expires_at = :expiresAt
WHERE delivery_key = :key AND state = ${LEASED} AND owner = :owner
RETURNING attempts`,
      'release',
    ),
    watch: sql(
      `INSERT INTO {watches} ${WATCH_VALUES} VALUES (:task, :dueAt, :watchedAt, 0) ON CONFLICT (task_id) DO NOTHING`,
      'watch',
    ),
    unwatch: sql(`DELETE FROM {watches} WHERE task_id = :task`, 'unwatch'),
    // Postgres: SKIP LOCKED lets instances sweeping at once take different rows instead of queueing on
    // the same ones. SQLite runs one writer at a time: the statement alone is atomic.
    takeDue: sql(
      `UPDATE {watches} SET due_at = :leaseWatchUntil
WHERE task_id IN (SELECT task_id FROM {watches} WHERE due_at <= :now ORDER BY due_at LIMIT :limit${postgres ? ' FOR UPDATE SKIP LOCKED' : ''})
${postgres ? 'AND due_at <= :now ' : ''}RETURNING task_id, watched_at, checks`,
      'takeDue',
    ),
    reschedule: sql(`UPDATE {watches} SET due_at = :dueAt, checks = :checks WHERE task_id = :task`, 'reschedule'),
    purgeKeys: sql(
      `DELETE FROM {keys}
WHERE delivery_key IN (SELECT delivery_key FROM {keys} WHERE expires_at <= :now ORDER BY expires_at LIMIT :limit${postgres ? ' FOR UPDATE SKIP LOCKED' : ''})
${postgres ? 'AND expires_at <= :now ' : ''}RETURNING 1 AS purged`,
      'purgeKeys',
    ),
    // A watch nobody has taken for so long has no sweeper left (recovery off): no check would ever end it.
    purgeWatches: sql(
      `DELETE FROM {watches}
WHERE task_id IN (SELECT task_id FROM {watches} WHERE due_at <= :watchCutoff ORDER BY due_at LIMIT :limit${postgres ? ' FOR UPDATE SKIP LOCKED' : ''})
RETURNING 1 AS purged`,
      'purgeWatches',
    ),
  };
}
