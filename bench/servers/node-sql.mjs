// piapiWebhook on node:http with sqlStore on the bench's own Postgres (SQL_URL), through a pg Pool with named
// (prepared) statements: docs/sql.md's faster pg one-liner.
import pg from 'pg';
import { piapiWebhook } from 'piapi-webhook';
import { sqlStore } from 'piapi-webhook/sql';
import { listen, SECRET } from './listen.mjs';

const pool = new pg.Pool({ connectionString: process.env.SQL_URL, max: 10 });
pool.on('error', (error) => console.error('[bench] pg:', error.message));
const store = sqlStore({
  dialect: 'postgres',
  query: (text, values, name) => pool.query({ name, text, values }).then((r) => r.rows),
});
await store.setup();
listen(piapiWebhook({ secret: SECRET, onTask: () => {}, store }));
