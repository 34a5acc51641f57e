import type { MaybePromise } from '../../core/maybe.js';
import { PiapiWebhookConfigError } from '../../core/errors.js';
import { describe, nonNegativeInteger, positiveNumber } from '../../core/option-checks.js';
import { checkDialect, tableNames, type SqlDialect } from './schema.js';

/** A row as the store reads it: an object keyed by column name, as every driver returns them. */
export type SqlRow = Readonly<Record<string, unknown>>;

/**
 * Runs one statement with its parameters and returns the rows it returned, as
 * objects keyed by column name (an empty array for a statement that returns
 * none). The only coupling to a driver.
 *
 * `name` is a stable name unique to the statement's text (absent for the DDL
 * of `setup()`): a driver that prepares named statements, such as pg's
 * `pool.query({ name, text, values })`, can parse and plan each statement once
 * per connection instead of on every call.
 */
export type SqlQuery = (sql: string, params: unknown[], name?: string) => MaybePromise<readonly unknown[]>;

/** Options for {@link sqlStore}. */
export interface SqlStoreOptions {
  /** `'postgres'` (placeholders `$1`) or `'sqlite'` (placeholders `?`: SQLite, Cloudflare D1, libSQL/Turso). */
  dialect: SqlDialect;
  /** Runs a statement and returns its rows: see `docs/sql.md` for a one-liner per driver. */
  query: SqlQuery;
  /**
   * The prefix of the store's two tables, `<table>_keys` and `<table>_watches`:
   * a plain SQL identifier.
   * @defaultValue 'piapi_webhook'
   */
  table?: string;
  /**
   * The clock, in milliseconds: lease and expiry times are computed here and
   * passed to the database as parameters. Instances sharing a database should
   * have clocks within a fraction of the lease of each other.
   * @defaultValue Date.now
   */
  now?: () => number;
  /**
   * How long a key is kept after its lease ran out unfinished (its owner died):
   * long enough that a takeover counts the attempt the crash cut off, not forever.
   * @defaultValue 3600
   */
  abandonedKeySeconds?: number;
  /**
   * How long a watched task may go untaken (no recovery sweeping it) before it is deleted.
   * @defaultValue 604800 (7 days)
   */
  watchTtlSeconds?: number;
  /**
   * Every this many claims, the store deletes one batch of expired rows, after
   * the claim has answered. `0`: never on claims (call `purgeExpired()` yourself,
   * or let the recovery's sweep do it).
   * @defaultValue 100
   */
  purgeEvery?: number;
}

const DEFAULT_ABANDONED_KEY_SECONDS = 3600;
const DEFAULT_WATCH_TTL_SECONDS = 7 * 86_400;
const DEFAULT_PURGE_EVERY = 100;
/** The most rows of each table one purge deletes. */
export const PURGE_BATCH = 1000;

/** The options, checked once: a PiapiWebhookConfigError names the first wrong one. */
export function checkOptions(options: SqlStoreOptions) {
  // A JavaScript caller can pass anything, undefined included.
  const given = options as SqlStoreOptions | null | undefined;
  if (typeof given !== 'object' || given === null) {
    throw new PiapiWebhookConfigError('sqlStore', `takes an options object, received ${describe(options)}.`);
  }
  if (typeof options.query !== 'function') {
    throw new PiapiWebhookConfigError(
      'sqlStore.query',
      `must be a function (sql, params) => rows, received ${describe(options.query)}.`,
    );
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new PiapiWebhookConfigError('sqlStore.now', `must be a function, received ${describe(options.now)}.`);
  }
  const seconds = (name: 'abandonedKeySeconds' | 'watchTtlSeconds', fallback: number): number =>
    1000 * (options[name] === undefined ? fallback : positiveNumber(`sqlStore.${name}`, options[name]));
  return {
    dialect: checkDialect('sqlStore.dialect', options.dialect),
    tables: tableNames('sqlStore.table', options.table),
    query: options.query,
    now: options.now ?? Date.now,
    abandonedKeyMs: seconds('abandonedKeySeconds', DEFAULT_ABANDONED_KEY_SECONDS),
    watchTtlMs: seconds('watchTtlSeconds', DEFAULT_WATCH_TTL_SECONDS),
    purgeEvery:
      options.purgeEvery === undefined
        ? DEFAULT_PURGE_EVERY
        : nonNegativeInteger('sqlStore.purgeEvery', options.purgeEvery),
  };
}
