import type { ClaimResult, DedupeStore, WatchedTask } from '../../core/dedupe.js';
import { describe } from '../../core/option-checks.js';
import { checkOptions, PURGE_BATCH, type SqlRow, type SqlStoreOptions } from './options.js';
import { checkDialect, DONE, LEASED, schemaStatements, tableNames, type SqlDialect } from './schema.js';
import { statements, type ParamValue, type Statement } from './statements.js';

export type { SqlQuery, SqlRow, SqlStoreOptions } from './options.js';

/** A {@link DedupeStore} in a SQL database, with what setting it up and cleaning it needs. */
export interface SqlStore extends DedupeStore {
  /** Creates the two tables and their indexes if they do not exist: idempotent, safe on every start. */
  setup(): Promise<void>;
  /**
   * Deletes up to `limit` expired keys and up to `limit` abandoned watches.
   * @param now - the time, in ms
   * @param limit - the most rows of each table to delete
   * @returns how many rows were deleted
   */
  purgeExpired(now?: number, limit?: number): Promise<number>;
}

/** `sqlStore` itself, with its schema. */
export interface SqlStoreFactory {
  (options: SqlStoreOptions): SqlStore;
  /**
   * The DDL `setup()` runs, as text (statements separated by `;`), for migration tools.
   * @param dialect - `'postgres'` or `'sqlite'`
   * @param table - the tables' prefix
   * @defaultValue table 'piapi_webhook'
   */
  schema(dialect: SqlDialect, table?: string): string;
}

/**
 * A store in the SQL database you already have: Postgres (pg, postgres.js,
 * Neon, Supabase) or SQLite (better-sqlite3, libSQL/Turso, Cloudflare D1,
 * bun:sqlite). Shared by every instance that uses the same database, and
 * atomic across them: each step of a delivery is one statement (the claim is
 * one `INSERT … ON CONFLICT … DO UPDATE … RETURNING`), never a read followed
 * by a write. A key taken over after its owner died counts one more attempt.
 * Expired rows are deleted in bounded batches (see {@link SqlStoreOptions.purgeEvery}).
 *
 * Run `setup()` once before the first delivery, or put `sqlStore.schema(dialect)`
 * in your migrations. Errors of `query` reach the middleware's store guard
 * (timeout, breaker, `onError`), as Redis errors do.
 *
 * @param options - see {@link SqlStoreOptions}
 * @throws PiapiWebhookConfigError when an option is wrong
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { sqlStore } from 'piapi-webhook/sql';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const store = sqlStore({ dialect: 'postgres', query: (sql, params) => pool.query(sql, params).then((r) => r.rows) });
 * await store.setup();
 * ```
 */
export const sqlStore: SqlStoreFactory = Object.assign(
  function sqlStore(options: SqlStoreOptions): SqlStore {
    const { dialect, tables, query, now, abandonedKeyMs, watchTtlMs, purgeEvery } = checkOptions(options);
    const sql = statements(dialect, tables);
    let reportError: (error: unknown) => void = () => undefined;
    let claims = 0;

    async function run(statement: Statement, values: Record<string, ParamValue>): Promise<readonly SqlRow[]> {
      const rows = await query(statement.text, statement.params(values), statement.name);
      // D1, libSQL and the others all return an array of rows; anything else is a wrong `query`.
      if (!Array.isArray(rows)) {
        throw new TypeError(`sqlStore: query must resolve to an array of rows, received ${describe(rows)}`);
      }
      return rows as readonly SqlRow[];
    }

    async function purgeExpired(at = now(), limit = PURGE_BATCH): Promise<number> {
      const keys = await run(sql.purgeKeys, { now: Math.floor(at), limit });
      const watches = await run(sql.purgeWatches, { watchCutoff: Math.floor(at - watchTtlMs), limit });
      return keys.length + watches.length;
    }

    /** After every `purgeEvery` claims, one batch, in the background: the claim's answer does not wait for it. */
    function maybePurge(): void {
      claims += 1;
      if (purgeEvery === 0 || claims % purgeEvery !== 0) return;
      purgeExpired().catch((error: unknown) => reportError(error));
    }

    return {
      async setup() {
        const create = async (): Promise<void> => {
          for (const statement of schemaStatements(dialect, tables)) await query(statement, []);
        };
        // Instances starting together race on CREATE … IF NOT EXISTS (Postgres can then fail on its catalog's
        // unique index): once the winner has created the tables, a second pass finds them all.
        await create().catch(create);
      },
      purgeExpired,
      async claim(key, owner, leaseMs, watch): Promise<ClaimResult> {
        const at = Math.floor(now());
        const leaseUntil = at + Math.ceil(leaseMs);
        const values = { key, owner, now: at, leaseUntil, keepUntil: leaseUntil + abandonedKeyMs };
        let rows: readonly SqlRow[];
        if (watch === undefined) {
          rows = await run(sql.claim, values);
        } else {
          const watchValues = {
            ...values,
            task: watch.taskId,
            dueAt: Math.floor(watch.dueAt),
            watchedAt: Math.floor(watch.now),
          };
          if (sql.claimAndWatch !== undefined) {
            rows = await run(sql.claimAndWatch, watchValues);
          } else {
            // SQLite cannot write two tables in one statement: the watch follows a claim that took the key
            // (a refused copy watches nothing). A crash in between is before the answer, so PiAPI sends again.
            rows = await run(sql.claim, values);
            const claimed = rows[0];
            if (claimed !== undefined && Number(claimed['state']) === LEASED && claimed['owner'] === owner) {
              await run(sql.watchUnlessDone!, watchValues);
            }
          }
        }
        maybePurge();
        const row = rows[0];
        if (row === undefined) throw new Error('sqlStore: the claim returned no row');
        if (Number(row['state']) === DONE) return { state: 'done' };
        if (Number(row['state']) === LEASED && row['owner'] === owner) {
          return { state: 'claimed', attempt: Number(row['attempts']) };
        }
        return { state: 'in_progress' };
      },
      async renew(key, owner, leaseMs) {
        const at = Math.floor(now());
        const leaseUntil = at + Math.ceil(leaseMs);
        const rows = await run(sql.renew, { key, owner, now: at, leaseUntil, keepUntil: leaseUntil + abandonedKeyMs });
        return rows.length > 0;
      },
      async complete(key, owner, ttlSeconds, unwatchTaskId) {
        const at = Math.floor(now());
        const values = { key, owner, now: at, expiresAt: at + Math.ceil(ttlSeconds * 1000) };
        if (unwatchTaskId === undefined) return (await run(sql.complete, values)).length > 0;
        if (sql.completeAndUnwatch !== undefined) {
          return (await run(sql.completeAndUnwatch, { ...values, task: unwatchTaskId })).length > 0;
        }
        // SQLite: the unwatch follows, once the completion is recorded; a crash in between leaves a
        // watch that the recovery finds handled and drops.
        if ((await run(sql.complete, values)).length === 0) return false;
        await run(sql.unwatch, { task: unwatchTaskId });
        return true;
      },
      async release(key, owner, ttlSeconds) {
        const expiresAt = Math.floor(now()) + Math.ceil(ttlSeconds * 1000);
        return (await run(sql.release, { key, owner, expiresAt })).length > 0;
      },
      async watch(taskId, dueAt, at) {
        await run(sql.watch, { task: taskId, dueAt: Math.floor(dueAt), watchedAt: Math.floor(at) });
      },
      async unwatch(taskId) {
        await run(sql.unwatch, { task: taskId });
      },
      async takeDueWatches(at, limit, leaseUntil): Promise<readonly WatchedTask[]> {
        const rows = await run(sql.takeDue, {
          now: Math.floor(at),
          limit: Math.floor(limit),
          leaseWatchUntil: Math.floor(leaseUntil),
        });
        return rows.map((row) => ({
          taskId: String(row['task_id']),
          watchedAt: Number(row['watched_at']),
          checks: Number(row['checks']),
        }));
      },
      async rescheduleWatch(taskId, dueAt, checks) {
        await run(sql.reschedule, { task: taskId, dueAt: Math.floor(dueAt), checks });
      },
      setErrorReporter(report) {
        reportError = report;
      },
    };
  },
  {
    schema(dialect: SqlDialect, table?: string): string {
      const statements = schemaStatements(checkDialect('dialect', dialect), tableNames('table', table));
      return `${statements.join(';\n\n')};\n`;
    },
  },
);
