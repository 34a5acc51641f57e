/**
 * Races between real processes on one database: two processes (each with its
 * own connections, and on different drivers) claim the same 1000 keys, or sweep
 * the same due watches, at once. Exactly one wins each key; no watch is taken twice.
 * The processes run the built package (npm test builds it first).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sqlStore, type SqlDialect, type SqlQuery } from '../../lib/sql.js';
import { describeWithPostgres, PostgresServer } from '../helpers/postgres-server.js';
import { postgresDrivers, sqliteDrivers, sqliteFile, type Connection } from './sql/drivers.js';

const WORKER = join(__dirname, 'sql', 'race-worker.cjs');
const BUILT = resolve(__dirname, '..', '..', 'dist', 'cjs', 'sql.js');
const KEYS = 1000;
const WATCHES = 500;
const NOW = 1_755_163_301_000;

interface Won {
  won?: string[];
  error?: string;
}

/** Starts one worker per driver, lets them all go at once, and returns what each won. */
async function race(drivers: string[], env: Record<string, string>): Promise<string[][]> {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first (npm test does).`);
  const children: ChildProcess[] = drivers.map((driver) =>
    fork(WORKER, [], {
      env: { ...process.env, ...env, RACE_DRIVER: driver },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const ready = children.map(
    (child) => new Promise<void>((resolveReady) => child.once('message', () => resolveReady())),
  );
  await Promise.all(ready);
  const results = children.map(
    (child) =>
      new Promise<Won>((resolveResult, reject) => {
        child.once('message', (message: Won) => resolveResult(message));
        child.once('exit', (code) => reject(new Error(`worker exited with ${code} before reporting`)));
      }),
  );
  for (const child of children) child.send('go');
  const won = await Promise.all(results);
  for (const result of won) if (result.error !== undefined) throw new Error(result.error);
  return won.map((result) => result.won!);
}

function expectOneWinnerEach(won: string[][], expected: number): void {
  const all = won.flat();
  expect(all).toHaveLength(expected);
  expect(new Set(all).size).toBe(expected);
}

async function setUp(dialect: SqlDialect, query: SqlQuery, table: string, watches: boolean): Promise<void> {
  const store = sqlStore({ dialect, query, table, now: () => NOW });
  await store.setup();
  if (watches) for (let i = 0; i < WATCHES; i += 1) await store.watch(`task-${i}`, NOW - i, NOW - 1000);
}

describeWithPostgres('sqlStore races on Postgres', () => {
  let server: PostgresServer;
  let admin: Connection;
  beforeAll(async () => {
    server = await PostgresServer.start();
    admin = postgresDrivers[0]![1](server.url);
  }, 60_000);
  afterAll(async () => {
    await admin.close();
    await server.destroy();
  });

  it('two processes (pg and postgres.js) claiming the same 1000 keys: exactly one winner per key', async () => {
    await setUp('postgres', admin.query, 'race_claims', false);
    const won = await race(['pg', 'postgres'], {
      RACE_URL: server.url,
      RACE_TABLE: 'race_claims',
      RACE_COUNT: String(KEYS),
    });
    expectOneWinnerEach(won, KEYS);
  });

  it('two processes sweeping the same due watches never take the same one, and take them all', async () => {
    await setUp('postgres', admin.query, 'race_sweeps', true);
    const won = await race(['pg', 'postgres'], {
      RACE_URL: server.url,
      RACE_TABLE: 'race_sweeps',
      RACE_MODE: 'sweep',
      RACE_NOW: String(NOW),
    });
    expectOneWinnerEach(won, WATCHES);
  });
});

describe('sqlStore races on one SQLite file in WAL mode', () => {
  let file: ReturnType<typeof sqliteFile>;
  let admin: Connection;
  beforeAll(() => {
    file = sqliteFile();
    admin = sqliteDrivers[0]![1](file.file);
  });
  afterAll(async () => {
    await admin.close();
    file.remove();
  });

  it('two processes (better-sqlite3 and @libsql/client) claiming the same 1000 keys: exactly one winner per key', async () => {
    await setUp('sqlite', admin.query, 'race_claims', false);
    const won = await race(['better-sqlite3', 'libsql'], {
      RACE_URL: file.file,
      RACE_TABLE: 'race_claims',
      RACE_COUNT: String(KEYS),
    });
    expectOneWinnerEach(won, KEYS);
  });

  it('two processes sweeping the same due watches never take the same one, and take them all', async () => {
    await setUp('sqlite', admin.query, 'race_sweeps', true);
    const won = await race(['better-sqlite3', 'libsql'], {
      RACE_URL: file.file,
      RACE_TABLE: 'race_sweeps',
      RACE_MODE: 'sweep',
      RACE_NOW: String(NOW),
    });
    expectOneWinnerEach(won, WATCHES);
  });
});
