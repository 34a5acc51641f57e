// piapiWebhook on node:http with sqlStore on the bench's own Postgres (SQL_URL), through a pg Pool with named
// (prepared) statements: docs/sql.md's faster pg one-liner.
import pg from 'pg';
import { piapiWebhook } from 'piapi-webhook';
import { sqlStore } from 'piapi-webhook/sql';
import { listen, SECRET } from './listen.mjs';

// SQL_ASYNC_COMMIT=1: the bench's --async-commit, synchronous_commit off for these connections (see docs/sql.md).
const options = process.env.SQL_ASYNC_COMMIT === '1' ? { options: '-c synchronous_commit=off' } : {};
const pool = new pg.Pool({ connectionString: process.env.SQL_URL, max: 10, ...options });
pool.on('error', (error) => console.error('[bench] pg:', error.message));
const store = sqlStore({
  dialect: 'postgres',
  query: (text, values, name) => pool.query({ name, text, values }).then((r) => r.rows),
});
await store.setup();
listen(piapiWebhook({ secret: SECRET, onTask: () => {}, store }));
