/**
 * The drivers sqlStore is tested through, each wired with the one-liner that
 * docs/sql.md gives for it (kept word for word: a change there belongs here).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import postgres from 'postgres';
import type { SqlDialect, SqlQuery } from '../../../lib/sql.js';
import type { Client, Config } from '@libsql/client' with { 'resolution-mode': 'import' };

// @libsql/client ships CommonJS, but types only for its ESM build.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createClient } = require('@libsql/client') as { createClient: (config: Config) => Client };

/** One connection (or pool) to a database, as a store's `query`. */
export interface Connection {
  readonly dialect: SqlDialect;
  readonly query: SqlQuery;
  close(): Promise<void>;
}

/** Opens connections to one database; `url` is a Postgres URL or a SQLite file path. */
export type Driver = (url: string) => Connection;

export const postgresDrivers: ReadonlyArray<[string, Driver]> = [
  [
    'pg (a Pool of 4)',
    (url) => {
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      return {
        dialect: 'postgres',
        query: (sql, params) => pool.query(sql, params).then((r) => r.rows),
        close: () => pool.end(),
      };
    },
  ],
  [
    'pg, named (prepared) statements',
    (url) => {
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      return {
        dialect: 'postgres',
        query: (text, values, name) => pool.query({ name, text, values }).then((r) => r.rows),
        close: () => pool.end(),
      };
    },
  ],
  [
    'postgres (postgres.js), prepared',
    (url) => {
      const sql = postgres(url, { max: 4, onnotice: () => undefined });
      return {
        dialect: 'postgres',
        query: (text, params) => sql.unsafe(text, params as never[], { prepare: true }),
        close: () => sql.end(),
      };
    },
  ],
  [
    'postgres (postgres.js)',
    (url) => {
      const sql = postgres(url, { max: 4, onnotice: () => undefined });
      return {
        dialect: 'postgres',
        query: (text, params) => sql.unsafe(text, params as never[]),
        close: () => sql.end(),
      };
    },
  ],
];

export const sqliteDrivers: ReadonlyArray<[string, Driver]> = [
  [
    'better-sqlite3',
    (file) => {
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      return {
        dialect: 'sqlite',
        query: (sql, params) => {
          const statement = db.prepare(sql);
          return statement.reader ? statement.all(params) : (statement.run(params), []);
        },
        close: async () => void db.close(),
      };
    },
  ],
  [
    '@libsql/client',
    (file) => {
      const client = createClient({ url: `file:${file}`, timeout: 5000 });
      return {
        dialect: 'sqlite',
        query: (sql, args) => client.execute({ sql, args: args as never[] }).then((r) => r.rows),
        close: async () => client.close(),
      };
    },
  ],
];

/** A fresh SQLite file in WAL mode in its own folder, and a way to delete it. */
export function sqliteFile(): { file: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'piapi-sqlite-'));
  const file = join(dir, 'store.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.close();
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
