// sqlStore on Cloudflare D1, run locally by miniflare (workerd, D1 on its SQLite-backed Durable Object),
// through docs/sql.md's D1 one-liner on the D1Database binding. Node 22 (miniflare needs it).
// argv: the built sql entry (dist/esm/sql.js), the folder where miniflare is installed.
import { createRequire } from 'node:module';
import { scenario } from './sql-store-scenario.mjs';

const [entry, installDir] = process.argv.slice(2);
const { sqlStore } = await import(entry);
const { Miniflare } = createRequire(`${installDir}/package.json`)('miniflare');
const mf = new Miniflare({
  modules: true,
  script: 'export default { fetch() { return new Response("ok") } }',
  d1Databases: ['DB'],
});
try {
  const env = { DB: await mf.getD1Database('DB') };
  const seen = await scenario(sqlStore, 'sqlite', (sql, params) =>
    env.DB.prepare(sql)
      .bind(...params)
      .all()
      .then((r) => r.results),
  );
  console.log(JSON.stringify(seen));
} finally {
  await mf.dispose();
}
