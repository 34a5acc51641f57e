'use strict';
/*
 * The serverless shape of the app under fault (issue 16 §4), on the BUILT package
 * (dist/cjs). It behaves as a Vercel or Netlify function would:
 *
 * - every request is an invocation served by a FRESH piapiWebhookHandler, with a
 *   fresh store client: nothing is kept in memory from one request to the next;
 * - post-answer work runs through a waitUntil that this "platform" implements: a
 *   list of promises the process keeps alive (and reports to the test over IPC,
 *   so that the test can SIGKILL it while that work is in flight, as a platform
 *   ends an invocation at its time limit);
 * - there is no timer (recovery.intervalSeconds: 0): recovery runs only when the
 *   test's scheduler calls GET /cron/reconcile, a reconcileHandler route;
 * - tasks are watched where they are created (POST /tasks), from a fresh instance.
 *
 * Configured by environment variables (see harness.ts): FAULT_STORE picks the
 * store from `stores` below. It records every successful onTask durably, one
 * JSON line each, in the same format as receiver-app.cjs.
 */
const http = require('node:http');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const { piapiWebhookHandler, reconcileHandler } = require(path.join(root, 'dist/cjs/fetch/index.js'));

const { env, number, scale, record, onTask, createTask } = require('./app-common.cjs');

/**
 * One store per invocation, by FAULT_STORE: `{ store, close }`. A store added to
 * the package adds an entry here (and its server to harness.ts). `setup` is the
 * deploy step (a migration), run once before the app listens.
 */
const stores = {
  async redis() {
    const { redisStore } = require(path.join(root, 'dist/cjs/redis.js'));
    const { createClient } = require('redis');
    const client = createClient({ url: env.REDIS_URL, socket: { reconnectStrategy: 50 } });
    client.on('error', (error) => console.error('redis:', error.message));
    await client.connect();
    return { store: redisStore(client), close: () => client.quit().catch(() => client.destroy()) };
  },
  // The real @upstash/redis client, over HTTP to the harness's UpstashBridge: nothing to connect or close.
  async upstash() {
    const { upstashStore } = require(path.join(root, 'dist/cjs/upstash.js'));
    const { Redis } = require('@upstash/redis');
    const client = new Redis({ url: env.UPSTASH_URL, token: env.UPSTASH_TOKEN });
    return { store: upstashStore(client), close: async () => {} };
  },
  // A connection per invocation, as a function without a pooler would open one.
  async 'sql-postgres'() {
    const { sqlStore } = require(path.join(root, 'dist/cjs/sql.js'));
    const client = new (require('pg').Client)({ connectionString: env.SQL_URL });
    client.on('error', (error) => console.error('pg:', error.message));
    await client.connect();
    const store = sqlStore({
      dialect: 'postgres',
      query: (sql, params) => client.query(sql, params).then((r) => r.rows),
    });
    return { store, close: () => client.end() };
  },
  async 'sql-sqlite'() {
    const { sqlStore } = require(path.join(root, 'dist/cjs/sql.js'));
    const db = new (require('better-sqlite3'))(env.SQL_URL, { timeout: 10_000 });
    db.pragma('journal_mode = WAL');
    const query = (sql, params) => {
      const statement = db.prepare(sql);
      return statement.reader ? statement.all(params) : (statement.run(params), []);
    };
    return { store: sqlStore({ dialect: 'sqlite', query }), close: async () => db.close() };
  },
};
/** The deploy step: create the SQL tables before the first invocation. */
async function setup() {
  if (!env.FAULT_STORE.startsWith('sql-')) return;
  const { store, close } = await stores[env.FAULT_STORE]();
  try {
    await store.setup();
  } finally {
    await close();
  }
}
const openStore = stores[env.FAULT_STORE];
if (openStore === undefined) {
  console.error(`serverless-app: FAULT_STORE=${env.FAULT_STORE} is not one of ${Object.keys(stores).join(', ')}`);
  process.exit(1);
}

/** What the platform keeps alive: post-answer work (waitUntil) and requests being served. */
const waiting = new Set();
let serving = 0;
function tell() {
  process.send({ type: 'in-flight', waitUntil: waiting.size, serving });
}

/** One invocation: a fresh store client and a fresh handler, and a waitUntil whose work is awaited before closing. */
async function invocation() {
  const { store, close } = await openStore();
  const hook = piapiWebhookHandler({
    secret: env.PIAPI_WEBHOOK_SECRET,
    ack: env.FAULT_ACK,
    store,
    leaseSeconds: number('FAULT_LEASE_SECONDS', 10 * scale),
    onTask,
    onError: (error) => console.error('onError:', error && error.message),
    onOutcome: (outcome) => {
      if (/^recover/.test(outcome.type))
        record(env.FAULT_OUTCOME_LOG, { type: outcome.type, task_id: outcome.taskId ?? outcome.task?.task_id });
    },
    recovery: {
      apiKey: env.PIAPI_API_KEY,
      baseUrl: env.PIAPI_URL,
      checkAfterSeconds: number('FAULT_CHECK_AFTER_SECONDS', 1),
      // No timer: nothing lives long enough to run one. The cron route is the only sweep.
      intervalSeconds: 0,
      maxAgeSeconds: number('FAULT_MAX_AGE_SECONDS', 300),
      requestTimeoutMs: number('FAULT_REQUEST_TIMEOUT_MS', 2000),
    },
  });
  const mine = [];
  const context = {
    waitUntil(promise) {
      const work = Promise.resolve(promise).catch(() => undefined);
      mine.push(work);
      waiting.add(work);
      tell();
      void work.finally(() => {
        waiting.delete(work);
        tell();
      });
    },
  };
  // The invocation ends (its client closes) once the answer is out and its waitUntil work has settled.
  const end = async () => {
    await Promise.all(mine);
    await close();
  };
  return { hook, context, end };
}

/** Routes, each `(request, invocation) => Response`, as a platform's functions would be. */
const routes = {
  'POST /webhook': ({ hook, context }, request) => hook(request, context),
  'POST /tasks': async ({ hook }) => {
    const taskId = await createTask();
    record(env.FAULT_TASK_TABLE, { task_id: taskId });
    await hook.watch(taskId);
    return Response.json({ task_id: taskId });
  },
  'GET /cron/reconcile': ({ hook }, request) =>
    reconcileHandler(hook, {
      secret: env.FAULT_CRON_SECRET,
      deadlineMs: number('FAULT_CRON_DEADLINE_MS', 5000),
    })(request),
};

/** node:http to Fetch and back: the platform's part. */
async function toRequest(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers))
    for (const one of Array.isArray(value) ? value : [value]) if (one !== undefined) headers.append(name, one);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(`http://127.0.0.1${req.url}`, {
    method: req.method,
    headers,
    ...(hasBody ? { body: Buffer.concat(chunks) } : {}),
  });
}

async function serve(req, res) {
  serving += 1;
  tell();
  let end;
  try {
    const route = routes[`${req.method} ${req.url}`];
    const request = await toRequest(req);
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'no such route' }));
      return;
    }
    const current = await invocation();
    end = current.end;
    const response = await route(current, request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    console.error('invocation failed:', error);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: String(error && error.message) }));
  } finally {
    serving -= 1;
    tell();
    if (end !== undefined) await end().catch((error) => console.error('closing the store failed:', error));
  }
}

const server = http.createServer((req, res) => void serve(req, res));
setup().then(
  () => server.listen(0, '127.0.0.1', () => process.send({ type: 'listening', port: server.address().port })),
  (error) => {
    console.error('setup failed:', error);
    process.exit(1);
  },
);
