'use strict';
/*
 * The app under fault: an Express 5 app on the BUILT package (dist/cjs), run as a
 * child process by the fault tests and killed, stopped and restarted by them.
 * Configured by environment variables (see harness.ts). It records every
 * successful onTask durably, one JSON line per success, so that what a killed
 * process handled is still known; and, as real apps do, it keeps its own table
 * of the tasks it created and watches each one right after creating it.
 */
const fs = require('node:fs');
const path = require('node:path');
const express = require('express');

const root = path.resolve(__dirname, '..', '..');
const { piapiWebhook } = require(path.join(root, 'dist/cjs/index.js'));

const { env, number, scale, record, onTask, createTask } = require('./app-common.cjs');
// FAULT_RECOVERY=0 runs without recovery (no watch, no sweep): the baseline docs/guarantees.md compares with.
const recovery = env.FAULT_RECOVERY !== '0';

/** sqlStore on Postgres (pg) or on a SQLite file in WAL mode (better-sqlite3), as docs/sql.md wires them. */
async function createSqlStore() {
  const { sqlStore } = require(path.join(root, 'dist/cjs/sql.js'));
  if (env.FAULT_STORE === 'sql-postgres') {
    const pool = new (require('pg').Pool)({ connectionString: env.SQL_URL, max: 4 });
    pool.on('error', (error) => console.error('pg:', error.message));
    const store = sqlStore({
      dialect: 'postgres',
      query: (sql, params) => pool.query(sql, params).then((r) => r.rows),
    });
    await store.setup();
    return store;
  }
  const db = new (require('better-sqlite3'))(env.SQL_URL);
  db.pragma('journal_mode = WAL');
  const query = (sql, params) => {
    const statement = db.prepare(sql);
    return statement.reader ? statement.all(params) : (statement.run(params), []);
  };
  const store = sqlStore({ dialect: 'sqlite', query });
  await store.setup();
  return store;
}

async function createStore() {
  if (env.FAULT_STORE === 'sql-postgres' || env.FAULT_STORE === 'sql-sqlite') return createSqlStore();
  if (env.FAULT_STORE !== 'redis') return undefined;
  const { redisStore } = require(path.join(root, 'dist/cjs/redis.js'));
  // On a Redis Cluster (FAULT_REDIS_CLIENT=*-cluster), REDIS_URL lists the nodes, comma-separated.
  const urls = env.REDIS_URL.split(',');
  if (env.FAULT_REDIS_CLIENT === 'ioredis-cluster') {
    const { Cluster } = require('ioredis');
    const nodes = urls.map((url) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) }));
    const client = new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    client.on('error', (error) => console.error('redis:', error.message));
    return redisStore(client);
  }
  if (env.FAULT_REDIS_CLIENT === 'node-redis-cluster') {
    const { createCluster } = require('redis');
    const client = createCluster({ rootNodes: urls.map((url) => ({ url })) });
    client.on('error', (error) => console.error('redis:', error.message));
    await client.connect();
    return redisStore(client);
  }
  if (env.FAULT_REDIS_CLIENT === 'ioredis') {
    const { Redis } = require('ioredis');
    const client = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    client.on('error', (error) => console.error('redis:', error.message));
    return redisStore(client);
  }
  const { createClient } = require('redis');
  const client = createClient({ url: env.REDIS_URL, socket: { reconnectStrategy: 50 } });
  client.on('error', (error) => console.error('redis:', error.message));
  await client.connect();
  return redisStore(client);
}

/** The app's own table, minus the tasks whose end it has handled: what a cron would reconcile. */
function unfinishedTaskIds() {
  const read = (file) =>
    fs.existsSync(file)
      ? fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line))
      : [];
  const ended = new Set(
    read(env.FAULT_HANDLED_LOG)
      .filter((l) => l.status === 'completed' || l.status === 'failed')
      .map((l) => l.task_id),
  );
  return [...new Set(read(env.FAULT_TASK_TABLE).map((row) => row.task_id))].filter((id) => !ended.has(id));
}

async function main() {
  const store = await createStore();
  const hook = piapiWebhook({
    secret: env.PIAPI_WEBHOOK_SECRET,
    ack: env.FAULT_ACK,
    ...(store === undefined ? {} : { store }),
    maxConcurrency: number('FAULT_MAX_CONCURRENCY', 8),
    // Scaled like PiAPI's clock: the default 10 s lease is 1 s here.
    leaseSeconds: number('FAULT_LEASE_SECONDS', 10 * scale),
    onTask,
    onError: (error) => console.error('onError:', error && error.message),
    onOutcome: (outcome) => {
      if (/^recover/.test(outcome.type))
        record(env.FAULT_OUTCOME_LOG, { type: outcome.type, task_id: outcome.taskId ?? outcome.task?.task_id });
    },
    ...(recovery
      ? {
          recovery: {
            apiKey: env.PIAPI_API_KEY,
            baseUrl: env.PIAPI_URL,
            checkAfterSeconds: number('FAULT_CHECK_AFTER_SECONDS', 1),
            intervalSeconds: number('FAULT_INTERVAL_SECONDS', 0.5),
            maxAgeSeconds: number('FAULT_MAX_AGE_SECONDS', 300),
            // A sweep claims its due tasks for 3 × this: a sweeper killed mid-sweep delays their next check that long.
            requestTimeoutMs: number('FAULT_REQUEST_TIMEOUT_MS', 2000),
          },
        }
      : {}),
  });

  const app = express();
  app.post('/webhook', hook);
  app.post('/tasks', async (_req, res) => {
    try {
      const taskId = await createTask();
      record(env.FAULT_TASK_TABLE, { task_id: taskId });
      if (recovery) await hook.watch(taskId);
      res.json({ task_id: taskId });
    } catch (error) {
      res.status(502).json({ error: String(error && error.message) });
    }
  });
  app.post('/reconcile', async (_req, res) => {
    const ids = unfinishedTaskIds();
    const report = await hook.reconcile(ids);
    res.json({ ids: ids.length, report });
  });
  app.post('/settled', async (_req, res) => {
    if (typeof hook.settled === 'function') await hook.settled();
    res.json({ ok: true });
  });

  const server = app.listen(0, '127.0.0.1', () => process.send({ type: 'listening', port: server.address().port }));
  // The shutdown of docs/dedupe-and-leases.md, as written there.
  process.on('SIGTERM', async () => {
    server.close();
    const { timedOut, pending } = await hook.drain(number('FAULT_DRAIN_MS', 25_000));
    if (timedOut) console.error('shutting down with unfinished tasks', pending);
    process.exit(0);
  });
}

main().catch((error) => {
  console.error('receiver-app failed to start:', error);
  process.exit(1);
});
