// sqlStore on bun:sqlite, through docs/sql.md's one-liner, in Bun. argv: the built sql entry (dist/esm/sql.js).
import { Database } from 'bun:sqlite';
import { scenario } from './sql-store-scenario.mjs';

const { sqlStore } = await import(process.argv[2]);
const db = new Database(':memory:');
const seen = await scenario(sqlStore, 'sqlite', (sql, params) => db.query(sql).all(...params));
console.log(JSON.stringify(seen));
