import { PiapiWebhookConfigError, PiapiWebhookStoreError, piapiWebhook, type WebhookOutcome } from '../../lib/index.js';
import { sqlStore, type SqlStoreOptions } from '../../lib/sql.js';
import { createHandler, ExecutionContextLike, post } from '../fetch/helpers.js';
import { notification } from '../helpers/notifications.js';
import { describeWithPostgres, PostgresServer } from '../helpers/postgres-server.js';
import { postgresDrivers, sqliteDrivers, sqliteFile, type Connection, type Driver } from './sql/drivers.js';
import { describeStoreContract } from './contract.js';
import { describeSqlStoreSemantics, type MakeSqlStore } from './sql/semantics.js';

let tables = 0;

/** A store maker on an open connection: each store gets tables of its own. */
function maker(connection: () => Connection): MakeSqlStore {
  return async (options = {}) => {
    const table = `t${process.pid}_${(tables += 1)}`;
    const { dialect, query } = connection();
    const store = sqlStore({ dialect, query, table, ...options });
    await store.setup();
    const rows = async (kind: 'keys' | 'watches'): Promise<number> => {
      const [row] = (await query(`SELECT count(*) AS n FROM ${table}_${kind}`, [])) as Array<{ n: unknown }>;
      return Number(row?.n);
    };
    return { store, rows };
  };
}

describe('sqlStore setup', () => {
  const query = () => [];
  it.each<[string, Partial<SqlStoreOptions>, string]>([
    ['an unknown dialect', { dialect: 'mysql' as 'postgres' }, '"sqlStore.dialect"'],
    ['no query function', { query: 'SELECT 1' as never }, '"sqlStore.query"'],
    ['a table name that is not a plain identifier', { table: 'x; DROP TABLE users' }, '"sqlStore.table"'],
    ['a table name starting with a digit', { table: '1x' }, '"sqlStore.table"'],
    ['a negative purgeEvery', { purgeEvery: -1 }, '"sqlStore.purgeEvery"'],
    ['a clock that is not a function', { now: 5 as never }, '"sqlStore.now"'],
  ])('refuses %s with a PiapiWebhookConfigError naming the option', (_name, options, option) => {
    const build = () => sqlStore({ dialect: 'postgres', query, ...options });
    expect(build).toThrow(PiapiWebhookConfigError);
    expect(build).toThrow(option);
  });

  it('gives its DDL as text, the same statements setup() runs, in order', async () => {
    for (const dialect of ['postgres', 'sqlite'] as const) {
      const ran: string[] = [];
      await sqlStore({ dialect, table: 'app_hooks', query: (sql) => (ran.push(sql), []) }).setup();
      expect(sqlStore.schema(dialect, 'app_hooks')).toBe(`${ran.join(';\n\n')};\n`);
      expect(ran[0]).toMatch(/^CREATE TABLE IF NOT EXISTS app_hooks_keys \(/);
      expect(sqlStore.schema(dialect)).toContain('CREATE TABLE IF NOT EXISTS piapi_webhook_watches');
    }
    expect(() => sqlStore.schema('oracle' as 'sqlite')).toThrow(PiapiWebhookConfigError);
  });

  it('writes Postgres placeholders as $n and SQLite ones as ?, with values in the matching order', async () => {
    const seen: Array<[string, unknown[]]> = [];
    const query = (sql: string, params: unknown[]) => (seen.push([sql, params]), [{ attempts: 1 }]);
    await sqlStore({ dialect: 'postgres', query, now: () => 1000 }).renew('k', 'o', 500);
    await sqlStore({ dialect: 'sqlite', query, now: () => 1000 }).renew('k', 'o', 500);
    const [[pgSql, pgParams], [liteSql, liteParams]] = seen as [[string, unknown[]], [string, unknown[]]];
    expect(pgSql).not.toContain('?');
    expect(pgSql.match(/\$\d/g)).toEqual(['$1', '$2', '$3', '$4', '$5']);
    expect(pgParams).toEqual([1500, 3_601_500, 'k', 'o', 1000]);
    expect(liteSql).not.toMatch(/\$\d/);
    expect(liteSql.match(/\?/g)).toHaveLength(5);
    expect(liteParams).toEqual(pgParams);
  });
});

/** Statement counts, through a real Fetch handler: what a delivery costs the database. */
function describeStatementCounts(name: string, connection: () => Connection): void {
  it(`${name}: a new delivery costs one statement before the answer and one after the handler; a duplicate costs one`, async () => {
    const { dialect, query } = connection();
    const statements: string[] = [];
    const counting = (sql: string, params: unknown[]) => {
      statements.push(sql.split(/\s/, 1)[0]!);
      return query(sql, params);
    };
    const store = sqlStore({ dialect, query: counting, table: `counts${process.pid}_${(tables += 1)}` });
    await store.setup();
    statements.length = 0;
    const { handle, received } = createHandler({ store });
    const body = notification({ task_id: `count-${name}`, status: 'completed' });

    const first = new ExecutionContextLike();
    expect((await handle(post(body), first)).status).toBe(200);
    expect(statements).toEqual(['INSERT']);
    await Promise.all(first.promises);
    expect(received).toHaveLength(1);
    expect(statements).toEqual(['INSERT', 'INSERT']);

    statements.length = 0;
    const again = new ExecutionContextLike();
    expect((await handle(post(body), again)).status).toBe(200);
    await Promise.all(again.promises);
    expect(received).toHaveLength(1);
    expect(statements).toEqual(['INSERT']);
  });
}

/** With recovery, a claim also watches the task and a terminal completion unwatches it: the same step in Postgres. */
function describeStatementCountsWithRecovery(name: string, connection: () => Connection): void {
  it(`${name}: with recovery, the watch and the unwatch ride along (one statement each in Postgres, two in SQLite)`, async () => {
    const { dialect, query } = connection();
    const statements: string[] = [];
    const table = `watching${process.pid}_${(tables += 1)}`;
    const counting = (sql: string, params: unknown[]) => {
      statements.push(sql.split(/\s/, 1)[0]!);
      return query(sql, params);
    };
    const store = sqlStore({ dialect, query: counting, table });
    await store.setup();
    statements.length = 0;
    const { handle, received } = createHandler({
      store,
      recovery: { apiKey: 'key', baseUrl: 'http://127.0.0.1:9', intervalSeconds: 0 },
    });
    const taskId = `watched-${name}`;
    const context = new ExecutionContextLike();
    expect((await handle(post(notification({ task_id: taskId, status: 'completed' })), context)).status).toBe(200);
    const beforeAnswer = [...statements];
    await Promise.all(context.promises);
    expect(received).toHaveLength(1);
    const watches = async () =>
      Number(((await query(`SELECT count(*) AS n FROM ${table}_watches`, [])) as Array<{ n: unknown }>)[0]?.n);
    expect(await watches()).toBe(0);
    if (dialect === 'postgres') {
      expect(beforeAnswer).toEqual(['WITH']);
      expect(statements).toEqual(['WITH', 'WITH']);
    } else {
      expect(beforeAnswer).toEqual(['INSERT', 'INSERT']);
      expect(statements).toEqual(['INSERT', 'INSERT', 'INSERT', 'DELETE']);
    }
  });
}

describeWithPostgres('sqlStore on Postgres', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await PostgresServer.start();
  }, 60_000);
  afterAll(async () => {
    await server.destroy();
  });

  describe.each(postgresDrivers)('%s', (name: string, driver: Driver) => {
    let connection: Connection;
    beforeAll(() => {
      connection = driver(server.url);
    });
    afterAll(async () => {
      await connection.close();
    });
    describeSqlStoreSemantics(
      name,
      maker(() => connection),
    );
    describeStatementCounts(name, () => connection);
    describeStatementCountsWithRecovery(name, () => connection);
    describeStoreContract(`sqlStore on Postgres through ${name}`, {
      create: async (now) => (await maker(() => connection)({ now })).store,
    });
  });
});

describe.each(sqliteDrivers)('sqlStore on SQLite through %s', (name: string, driver: Driver) => {
  let file: ReturnType<typeof sqliteFile>;
  let connection: Connection;
  beforeAll(() => {
    file = sqliteFile();
    connection = driver(file.file);
  });
  afterAll(async () => {
    await connection.close();
    file.remove();
  });
  describeSqlStoreSemantics(
    name,
    maker(() => connection),
  );
  describeStatementCounts(name, () => connection);
  describeStatementCountsWithRecovery(name, () => connection);
  describeStoreContract(`sqlStore on SQLite through ${name}`, {
    create: async (now) => (await maker(() => connection)({ now })).store,
  });
});

describe('sqlStore errors', () => {
  it('a failing query goes through the store guard: the delivery is still handled, onError hears of it once', async () => {
    const errors: unknown[] = [];
    const outcomes: WebhookOutcome[] = [];
    const store = sqlStore({
      dialect: 'postgres',
      query: () => Promise.reject(new Error('connection refused')),
    });
    const { handle, received } = createHandler({
      store,
      onError: (error) => void errors.push(error),
      onOutcome: (outcome) => void outcomes.push(outcome),
    });
    const context = new ExecutionContextLike();
    expect((await handle(post(notification({ task_id: 'store-down', status: 'completed' })), context)).status).toBe(
      200,
    );
    await Promise.all(context.promises);
    expect(received).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(PiapiWebhookStoreError);
    expect(String(errors[0])).toContain('connection refused');
  });
});

describe('sqlStore and the recovery', () => {
  it("reconcile()'s sweep deletes a batch of expired rows", async () => {
    const file = sqliteFile();
    const connection = sqliteDrivers[0]![1](file.file);
    try {
      let time = 1_755_163_301_000;
      const store = sqlStore({ dialect: 'sqlite', query: connection.query, now: () => time, purgeEvery: 0 });
      await store.setup();
      for (let i = 0; i < 3; i += 1) {
        await store.claim(`k${i}`, 'o', 10_000);
        await store.complete(`k${i}`, 'o', 60);
      }
      const count = async () =>
        Number(
          ((await connection.query('SELECT count(*) AS n FROM piapi_webhook_keys', [])) as Array<{ n: number }>)[0]?.n,
        );
      time += 60_000;
      const hook = piapiWebhook({
        secret: 'secret',
        onTask: () => undefined,
        store,
        now: () => time,
        recovery: { apiKey: 'key', baseUrl: 'http://127.0.0.1:9', intervalSeconds: 0 },
      });
      expect(await count()).toBe(3);
      expect(await hook.reconcile()).toMatchObject({ checked: 0 });
      expect(await count()).toBe(0);
    } finally {
      await connection.close();
      file.remove();
    }
  });
});
