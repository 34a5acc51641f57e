'use strict';
/*
 * One of the processes of the SQL race tests (sql-race.test.ts), on the BUILT
 * package. It connects with the driver named by RACE_DRIVER, says "ready", and
 * on "go" either claims every key (RACE_MODE=claim) or sweeps due watches until
 * none is left (RACE_MODE=sweep), then reports what it won.
 */
const path = require('node:path');
const { sqlStore } = require(path.resolve(__dirname, '../../../dist/cjs/sql.js'));

const env = process.env;

function connect() {
  switch (env.RACE_DRIVER) {
    case 'pg': {
      const pool = new (require('pg').Pool)({ connectionString: env.RACE_URL, max: 4 });
      return { dialect: 'postgres', query: (sql, params) => pool.query(sql, params).then((r) => r.rows) };
    }
    case 'postgres': {
      const sql = require('postgres')(env.RACE_URL, { max: 4 });
      return { dialect: 'postgres', query: (text, params) => sql.unsafe(text, params) };
    }
    case 'better-sqlite3': {
      const db = new (require('better-sqlite3'))(env.RACE_URL, { timeout: 30_000 });
      db.pragma('journal_mode = WAL');
      return {
        dialect: 'sqlite',
        query: (sql, params) => {
          const statement = db.prepare(sql);
          return statement.reader ? statement.all(params) : (statement.run(params), []);
        },
      };
    }
    case 'libsql': {
      const client = require('@libsql/client').createClient({ url: `file:${env.RACE_URL}`, timeout: 30_000 });
      return { dialect: 'sqlite', query: (sql, args) => client.execute({ sql, args }).then((r) => r.rows) };
    }
    default:
      throw new Error(`unknown RACE_DRIVER ${env.RACE_DRIVER}`);
  }
}

const { dialect, query } = connect();
const store = sqlStore({ dialect, query, table: env.RACE_TABLE });
const count = Number(env.RACE_COUNT);
const owner = `p${process.pid}`;

async function claimAll() {
  const won = [];
  let next = 0;
  // A few claims in flight at once, as a busy instance has.
  const lane = async () => {
    while (next < count) {
      const key = `key-${next++}`;
      const result = await store.claim(key, `${owner}.${key}`, 60_000);
      if (result.state === 'claimed') won.push(key);
    }
  };
  await Promise.all(Array.from({ length: 4 }, lane));
  return won;
}

async function sweepAll() {
  const taken = [];
  for (;;) {
    const batch = await store.takeDueWatches(Number(env.RACE_NOW), 7, Number(env.RACE_NOW) + 3_600_000);
    if (batch.length === 0) return taken;
    taken.push(...batch.map((watch) => watch.taskId));
  }
}

process.on('message', (message) => {
  if (message !== 'go') return;
  (env.RACE_MODE === 'sweep' ? sweepAll() : claimAll()).then(
    (won) => process.send({ won }, () => process.exit(0)),
    (error) => process.send({ error: String(error && error.stack) }, () => process.exit(1)),
  );
});
process.send('ready');
