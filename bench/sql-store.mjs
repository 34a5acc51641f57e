// node bench/sql-store.mjs [--rate n] [--duration s] [--rounds n] [--connections n] [--socket] [--async-commit]   (after npm run build)
//
// Server CPU per delivery of piapiWebhook on node:http, with the memory store and with sqlStore on a
// Postgres of the bench's own (through pg), at one fixed offered load below either's capacity
// (autocannon's overallRate), so that both do the same work per second and only their cost differs.
// npm run bench measures the same row (node-sql) in its node:http table; this standalone run is for
// trying the options below.
// The SQL row counts the Postgres server's CPU too: its postmaster and every backend and helper
// process under it, from /proc (Linux only). Rounds alternate (memory, sql, memory, sql, …); the
// ratio is the median of the per-round ratios memory ÷ sql (1.0: as cheap; the target is ≥ 0.5).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { fixture } from 'piapi-webhook/testing';
import { startPostgres } from './postgres-server.mjs';
import { postgresCpuMicros, procCpuMicros } from './proc-cpu.mjs';
import { SECRET } from './servers/listen.mjs';
import { median } from './stats.mjs';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    // Postgres through its Unix socket instead of loopback TCP.
    socket: { type: 'boolean', default: false },
    // synchronous_commit off for the store's connections: a Postgres crash may forget the last claims.
    'async-commit': { type: 'boolean', default: false },
  },
});
const rate = Number(args.rate);
const duration = Number(args.duration);
const rounds = Number(args.rounds);
const connections = Number(args.connections);
/** User + system CPU of a process, in ms (bench/proc-cpu.mjs). */
const cpuOf = (pid) => procCpuMicros(pid) / 1000;
/** The CPU of the whole Postgres server, in ms: the postmaster, its exited children and its live ones. */
const postgresCpu = (postmaster) => postgresCpuMicros(postmaster) / 1000;

function start(name, env) {
  const file = new URL(`./servers/${name}.mjs`, import.meta.url).pathname;
  const child = spawn(process.execPath, [file], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} server exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, port: JSON.parse(line).port }));
  });
}

const completed = fixture('midjourney-imagine-completed');
delete completed.data.config.webhook_config.secret;
const [head, tail] = JSON.stringify({ ...completed, timestamp: 0, data: { ...completed.data, task_id: '@ID@' } }).split(
  '"@ID@"',
);
let sequence = 0;
const bodyFor = (taskId) =>
  `${head.replace('"timestamp":0', `"timestamp":${Math.floor(Date.now() / 1000)}`)}"${taskId}"${tail}`;

/** Unique deliveries at `rate` per second for `seconds`; resolves with autocannon's result. */
function drive(port, seconds) {
  const setupRequest = (request) => ({
    ...request,
    method: 'POST',
    path: '/hook',
    headers: { 'content-type': 'application/json', 'x-webhook-secret': SECRET },
    body: bodyFor(`unique-${process.pid}-${sequence++}`),
  });
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    overallRate: rate,
    requests: [{ setupRequest }],
  });
}

/** One measured run: CPU ms per 2xx delivery (the server, plus Postgres when given), and what was achieved. */
async function measure(server, postmaster) {
  await drive(server.port, 1); // warm-up: JIT, pool connections
  await new Promise((resolve) => setTimeout(resolve, 200));
  const serverBefore = cpuOf(server.child.pid);
  const pgBefore = postmaster ? postgresCpu(postmaster) : 0;
  const result = await drive(server.port, duration);
  // Let the completions that follow the last answers land inside the measurement.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const serverAfter = cpuOf(server.child.pid);
  const pgAfter = postmaster ? postgresCpu(postmaster) : 0;
  const delivered = result['2xx'];
  if (delivered === 0 || result.non2xx > 0)
    throw new Error(`non-2xx answers: ${result.non2xx} of ${result.requests.total}`);
  return {
    cpuPerDelivery: (serverAfter - serverBefore + pgAfter - pgBefore) / delivered,
    postgresPerDelivery: (pgAfter - pgBefore) / delivered,
    achieved: delivered / duration,
    p99: result.latency.p99,
  };
}

const postgres = await startPostgres();
const rows = { memory: [], sql: [] };
try {
  for (let round = 0; round < rounds; round += 1) {
    for (const kind of ['memory', 'sql']) {
      const server = await start(kind === 'memory' ? 'node-piapi' : 'node-sql', {
        SQL_URL: args.socket ? postgres.socketUrl : postgres.url,
        SQL_ASYNC_COMMIT: args['async-commit'] ? '1' : '0',
      });
      try {
        rows[kind].push(await measure(server, kind === 'sql' ? postgres.postmasterPid() : undefined));
      } finally {
        server.child.removeAllListeners('exit');
        server.child.kill();
      }
    }
  }
} finally {
  postgres.stop();
}

const ratios = rows.memory.map((memory, i) => memory.cpuPerDelivery / rows.sql[i].cpuPerDelivery);
const line = (name, runs) =>
  `| ${name} | ${median(runs.map((r) => r.achieved)).toFixed(0)} | ${median(runs.map((r) => r.cpuPerDelivery * 1000)).toFixed(0)} | ${median(runs.map((r) => r.postgresPerDelivery * 1000)).toFixed(0)} | ${median(runs.map((r) => r.p99)).toFixed(1)} |`;
console.log(
  `sqlStore on Postgres (${args.socket ? 'Unix socket' : 'loopback TCP'}${args['async-commit'] ? ', synchronous_commit off' : ''}) vs the memory store, node:http, ${rate} unique deliveries/s offered, ${rounds} × ${duration} s:`,
);
console.log('| store | deliveries/s | server CPU µs per delivery | of which Postgres | p99 latency ms |');
console.log('| --- | --- | --- | --- | --- |');
console.log(line('memoryStore', rows.memory));
console.log(line('sqlStore (Postgres via pg, its CPU included)', rows.sql));
console.log(`ratio memory ÷ sql, CPU per delivery (median of rounds): ${median(ratios).toFixed(2)} (target ≥ 0.5)`);
