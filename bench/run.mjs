// npm run bench [-- --quick] [--rate n] [--duration s] [--rounds n] [--connections n] [--servers a,b] [--skip-memory] [--skip-cold-start] [--unpinned]
//
// Starts every server of servers/ that a group below names, each as its own
// process on loopback (a redis-server of its own for the redisStore row, a Postgres
// of its own for the sqlStore row, skipped with a reason where none is installed), and
// offers each the same fixed load, below every server's capacity (autocannon's
// overallRate, 2 000 deliveries/s by default), in alternating rounds (A B C … A B
// C …), first with a unique delivery per request and then with one fixed
// delivery (the duplicate path). Around each run it reads the server process's
// CPU time (process.cpuUsage(), plus redis-server's or the whole Postgres server's
// from /proc for the Redis and SQL rows), and divides it by the 2xx answers: CPU per delivery. Requests/s cannot
// tell the fast servers apart (they, and the load generator, top out alike);
// CPU per delivery can. Ratios are medians of per-round ratios, against their
// targets. Then runs the memory and cold-start checks. A complete run writes
// the tables to BENCHMARKS.md.
//
// On Linux with two CPUs or more, the servers share the last CPU and this load
// generator gets the others (taskset), so that neither steals the other's core.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { fixture } from 'piapi-webhook/testing';
import { coldStart } from './cold-start.mjs';
import { startPostgres } from './postgres-server.mjs';
import { postgresCpuMicros, procCpuMicros } from './proc-cpu.mjs';
import { startRedis } from './redis-server.mjs';
import { SECRET } from './servers/listen.mjs';
import { median, verdict } from './stats.mjs';

/**
 * The offered load of the sqlStore row and of the memory-store run it is paired with (servers named
 * `<file>@<rate>`): below what sqlStore on Postgres sustains on the one CPU it shares with Postgres
 * (about 800/s, busy machine), where the 2000/s of the other rows would measure it at saturation.
 */
const SQL_RATE = 500;

/**
 * The tables of the report. In each, `subject` is compared with the other rows:
 * each ratio is the other's CPU per delivery over the subject's (above 1: the
 * subject spends less), and one with a target says whether it is met.
 */
const GROUPS = [
  {
    title: 'node:http, no framework',
    note:
      "Each server is the whole node:http server: raw reads the body and answers (no secret, no JSON), node-handwritten is what a user writes by hand (secret `!==`, `JSON.parse`, answer, `setImmediate` handler), node-octokit is Octokit's createNodeMiddleware (an HMAC per delivery), node-piapi is `http.createServer(piapiWebhook(options))`. node-redis is node-piapi with redisStore (node-redis) on a redis-server of the bench's own, on the servers' CPU; its CPU per delivery counts redis-server's too. node-sql is node-piapi with sqlStore on a Postgres of the bench's own (default settings: synchronous commit), through a pg Pool of 10 with named statements (docs/sql.md), on the servers' CPU; its CPU per delivery counts the whole Postgres server's (postmaster, backends, WAL writer, …). " +
      `It and node-piapi@${SQL_RATE} (the memory store) are offered ${SQL_RATE} deliveries/s, below what sqlStore sustains on the CPU it shares with Postgres, and are compared with each other only.`,
    servers: [
      'raw',
      'node-handwritten',
      'node-octokit',
      'node-piapi',
      'node-redis',
      `node-piapi@${SQL_RATE}`,
      `node-sql@${SQL_RATE}`,
    ],
    subject: 'node-piapi',
    ratios: [
      { other: 'node-handwritten', label: 'hand-written', target: 0.85 },
      { other: 'node-octokit', label: 'Octokit', target: 1.1 },
      { other: 'raw' },
      { other: 'node-piapi', subject: 'node-redis', label: 'memory store', target: 0.6 },
      { other: `node-piapi@${SQL_RATE}`, subject: `node-sql@${SQL_RATE}`, label: 'memory store', target: 0.5 },
    ],
  },
  {
    title: 'Fetch handler on Node (@hono/node-server)',
    note: "piapiWebhookHandler against a hand-written Fetch handler (`await req.json()`, `!==`, `Response.json`) and Octokit's createWebMiddleware, all on @hono/node-server.",
    servers: ['fetch-handwritten', 'fetch-octokit', 'fetch-piapi'],
    subject: 'fetch-piapi',
    ratios: [
      { other: 'fetch-handwritten', label: 'hand-written', target: 0.85 },
      { other: 'fetch-octokit', label: 'Octokit', target: 1.1 },
    ],
  },
  {
    title: 'Express 5',
    note: "Every server runs on the same Express 5: handwritten is `express.json()` and a `!==` (the issue's one-liner), octokit is Octokit's createNodeMiddleware mounted with `app.use`, piapi is `app.post('/hook', piapiWebhook(options))`.",
    servers: ['handwritten', 'octokit', 'piapi'],
    subject: 'piapi',
    ratios: [
      { other: 'handwritten', label: 'hand-written', target: 1.05 },
      { other: 'octokit', label: 'Octokit', target: 1.0 },
    ],
  },
];
const ALL_SERVERS = [...new Set(GROUPS.flatMap((group) => group.servers))].join(',');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    // Below every server's capacity: at saturation, CPU per delivery measures queueing as much as work.
    rate: { type: 'string', default: '2000' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string', default: '10' },
    // A subset, or other files in servers/, for focused comparisons; only a full run writes BENCHMARKS.md.
    servers: { type: 'string', default: ALL_SERVERS },
    'skip-memory': { type: 'boolean', default: false },
    'skip-cold-start': { type: 'boolean', default: false },
    unpinned: { type: 'boolean', default: false },
  },
});
const duration = Number(args.duration ?? (args.quick ? 1 : 5));
const rounds = Number(args.rounds ?? (args.quick ? 1 : 7));
const connections = Number(args.connections);
const rate = Number(args.rate);
let SERVERS = args.servers.split(',');
// Read before pinning: afterwards this process sees only the CPUs it may use.
const CPU_COUNT = availableParallelism();
// Other work on the machine shows here: a load near or above the CPU count means noisy numbers.
const loadAtStart = loadavg()[0];

/**
 * Pins this process (every thread: `-a`) to all CPUs but the last, which is left
 * to the servers, and returns both; undefined (no pinning) where taskset or a
 * second CPU is missing, or with --unpinned.
 */
function pinning() {
  if (args.unpinned || process.platform !== 'linux' || CPU_COUNT < 2) return undefined;
  const loadCpus = CPU_COUNT === 2 ? '0' : `0-${CPU_COUNT - 2}`;
  try {
    execFileSync('taskset', ['-a', '-cp', loadCpus, String(process.pid)], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return { serverCpu: CPU_COUNT - 1, loadCpus };
}
const pinned = pinning();

const serverPrefix = pinned ? ['taskset', '-c', String(pinned.serverCpu)] : [];

/** A server's file in servers/: its name up to any `@<rate>`. */
const fileOf = (name) => name.split('@')[0];
/** The deliveries/s offered to a server: the `@<rate>` of its name, or --rate. */
const rateOf = (name) => Number(name.split('@')[1] ?? rate);

/** Starts one server process and resolves with its port once it listens. */
function start(name, env) {
  const file = new URL(`./servers/${fileOf(name)}.mjs`, import.meta.url).pathname;
  const [command, ...argv] = [...serverPrefix, process.execPath, file];
  const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  // Every line after the first answers a CPU query (servers/cpu.mjs), in order.
  const answers = [];
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} server exited with ${code}`)));
    lines.once('line', (line) => {
      lines.on('line', (answer) => answers.shift()?.(JSON.parse(answer).cpuMicros));
      resolve({ name, child, port: JSON.parse(line).port, answers });
    });
  });
}

/** The CPU time the database server of the Redis and SQL rows has used so far, in µs; 0 for the others. */
function databaseCpuOf(server) {
  if (fileOf(server.name) === 'node-redis' && redis) return procCpuMicros(redis.pid);
  if (fileOf(server.name) === 'node-sql' && postgres) return postgresCpuMicros(postgres.postmasterPid());
  return 0;
}

/** The CPU time the server has used so far, in µs: `total` includes its database server's `database`. */
async function cpuOf(server) {
  const own = await new Promise((resolve) => {
    server.answers.push(resolve);
    server.child.stdin.write('cpu\n');
  });
  const database = databaseCpuOf(server);
  return { total: own + database, database };
}

// A realistic ~1.5 KB notification: a completed Midjourney imagine task.
const completed = fixture('midjourney-imagine-completed');
delete completed.data.config.webhook_config.secret;
const [head, tail] = JSON.stringify({ ...completed, timestamp: 0, data: { ...completed.data, task_id: '@ID@' } }).split(
  '"@ID@"',
);
const bodyFor = (taskId, timestamp) => `${head.replace('"timestamp":0', `"timestamp":${timestamp}`)}"${taskId}"${tail}`;

let sequence = 0;
/** One autocannon run; `fixed` sends the same delivery every time (the duplicate path). */
function drive({ name, port }, fixed, seconds = duration) {
  const fixedBody = bodyFor(`fixed-${name}-${sequence++}`, Math.floor(Date.now() / 1000));
  const setupRequest = (request) => {
    const body = fixed ? fixedBody : bodyFor(`unique-${sequence++}`, Math.floor(Date.now() / 1000));
    const headers = { 'content-type': 'application/json', 'x-webhook-secret': SECRET };
    if (name.endsWith('octokit')) {
      // GitHub's headers: Octokit refuses a delivery without them.
      headers['x-github-event'] = 'ping';
      headers['x-github-delivery'] = String(sequence);
      headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    }
    return { ...request, method: 'POST', path: '/hook', headers, body };
  };
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    overallRate: rateOf(name),
    requests: [{ setupRequest }],
  });
}

/** One run at the fixed load, with the server's CPU time over it. */
async function measure(server, fixed, seconds = duration) {
  const before = await cpuOf(server);
  const result = await drive(server, fixed, seconds);
  const after = await cpuOf(server);
  const answered = Math.max(1, result['2xx']);
  const cpuMicros = after.total - before.total;
  return {
    ...result,
    cpuMicros,
    perDelivery: cpuMicros / answered,
    databasePerDelivery: (after.database - before.database) / answered,
  };
}

const MODES = [
  ['unique', false],
  ['duplicate', true],
];
// The memory and cold-start checks first: a failure there must not throw away the minutes of load below.
const memory = args['skip-memory']
  ? '(skipped)'
  : await new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--expose-gc', new URL('./memory.mjs', import.meta.url).pathname, ...(args.quick ? ['--quick'] : [])],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.once('exit', (code) =>
        code === 0 ? resolve(output.trim()) : reject(new Error(`memory check exited with ${code}`)),
      );
    });

const coldStartReport = args['skip-cold-start'] ? '(skipped)' : await coldStart(args.quick ? 3 : 15);

// The redisStore row's own redis-server, on the servers' CPU: its work is the server side's cost.
const redis = SERVERS.some((name) => fileOf(name) === 'node-redis') ? await startRedis(serverPrefix) : undefined;
// The same for the sqlStore row's Postgres. Without one (a CI image without postgresql), that row is
// skipped with the reason, and the rest of the bench runs.
let postgres;
const skipped = [];
if (SERVERS.some((name) => fileOf(name) === 'node-sql')) {
  try {
    postgres = await startPostgres(serverPrefix);
  } catch (error) {
    skipped.push(`node-sql (sqlStore on Postgres) skipped: ${error.message.replace(/\s+/g, ' ').trim()}`);
    process.stderr.write(`${skipped.at(-1)}\n`);
    // Its memory-store partner at the same rate has nothing left to be compared with.
    SERVERS = SERVERS.filter((name) => fileOf(name) !== 'node-sql' && name !== `node-piapi@${SQL_RATE}`);
  }
}
const servers = await Promise.all(
  SERVERS.map((name) =>
    start(name, { ...(redis && { REDIS_URL: redis.url }), ...(postgres && { SQL_URL: postgres.url }) }),
  ),
);
const runs = Object.fromEntries(MODES.map(([mode]) => [mode, Object.fromEntries(SERVERS.map((name) => [name, []]))]));
try {
  // A short unrecorded run each, so that no server is measured before the JIT has warmed it.
  for (const server of servers) await drive(server, false, Math.min(duration, 2));
  // Each round runs every server in both modes, back to back, so that per-round ratios compare neighbours.
  for (let round = 0; round < rounds; round += 1) {
    for (const server of servers) {
      for (const [mode, fixed] of MODES) {
        const result = await measure(server, fixed);
        runs[mode][server.name].push(result);
        process.stderr.write(
          `round ${round + 1}/${rounds} ${server.name} ${mode}: ${result['2xx']} 2xx, ${result.perDelivery.toFixed(1)} µs CPU per delivery\n`,
        );
      }
    }
  }
} finally {
  for (const { child } of servers) child.kill();
  redis?.stop();
  postgres?.stop();
}

/** `b`'s CPU per delivery over `a`'s in each round (above 1: `a` spends less): neighbours in time, so drift cancels. */
const roundRatios = (a, b) =>
  a && b ? a.map((result, round) => b[round].perDelivery / result.perDelivery) : undefined;

/** The median, over the rounds, of `b`'s CPU per delivery over `a`'s in the same round. */
function pairedRatio(a, b) {
  const ratios = roundRatios(a, b);
  return ratios && median(ratios);
}

function table(group, mode) {
  const names = group.servers.filter((name) => SERVERS.includes(name));
  const lines = [
    '| server | 2xx/s | µs CPU per delivery | p50 ms | p99 ms | non-2xx or errors |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const name of names) {
    const results = runs[mode][name];
    const answered = median(results.map((result) => result['2xx'] / result.duration));
    const cpu = median(results.map((result) => result.perDelivery));
    const p50 = median(results.map((result) => result.latency.p50));
    const p99 = median(results.map((result) => result.latency.p99));
    const non2xx = results.reduce((sum, result) => sum + result.non2xx + result.errors + result.timeouts, 0);
    lines.push(`| ${name} | ${Math.round(answered)} | ${cpu.toFixed(1)} | ${p50} | ${p99} | ${non2xx} |`);
  }
  const ratios = group.ratios.map(({ other, subject = group.subject, label = other, target }) => {
    const perRound = roundRatios(runs[mode][subject], runs[mode][other]);
    if (perRound === undefined)
      return `- ${subject} vs ${label}: **${skipped.length > 0 && fileOf(subject) === 'node-sql' ? 'skipped** (see above)' : 'n/a**'}`;
    const ratio = median(perRound);
    // The spread over the rounds says how far the machine's noise moves the ratio.
    const notes =
      perRound.length > 1 ? [`rounds ${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)}`] : [];
    // Targets are set for unique deliveries, the path every new task takes.
    if (target !== undefined && mode === 'unique') {
      const needed = median(runs[mode][other].map((result) => result.perDelivery)) / target;
      const spent = median(runs[mode][subject].map((result) => result.perDelivery));
      // The verdict is the paired ratio's; the rows' medians can still fall on the other side of the line.
      const gap =
        ratio >= target
          ? ''
          : spent > needed
            ? `: ${(spent - needed).toFixed(1)} µs per delivery over the ${needed.toFixed(1)} µs it allows`
            : `: in the paired rounds, though the rows' medians (${spent.toFixed(1)} µs against ${needed.toFixed(1)} µs allowed) meet it`;
      notes.push(`target ≥ ${target.toFixed(2)}: ${verdict(ratio, target, 'min')}${gap}`);
    }
    return `- ${subject} vs ${label}: **${ratio.toFixed(2)}**${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
  });
  // Where a database server's time is counted in, how much of the row it is.
  const databaseShares = names
    .filter((name) => ['node-redis', 'node-sql'].includes(fileOf(name)))
    .map((name) => {
      const results = runs[mode][name];
      const database = median(results.map((result) => result.databasePerDelivery));
      return `- ${name}: ${database.toFixed(1)} of its ${median(results.map((result) => result.perDelivery)).toFixed(1)} µs per delivery in ${fileOf(name) === 'node-sql' ? 'Postgres' : 'redis-server'}`;
    });
  lines.push('', ...databaseShares, ...ratios);
  return lines.join('\n');
}

const groupsRun = GROUPS.filter((group) => group.servers.some((name) => name !== 'raw' && SERVERS.includes(name)));
const sections = groupsRun.flatMap((group) => [
  `## ${group.title}`,
  '',
  group.note,
  '',
  '### Unique deliveries (a new task_id on every request)',
  '',
  table(group, 'unique'),
  '',
  `### One fixed delivery (the duplicate path for ${group.subject})`,
  '',
  table(group, 'duplicate'),
  '',
  `${group.subject}'s unique path over its duplicate path, in CPU per delivery: **${pairedRatio(runs.duplicate[group.subject], runs.unique[group.subject])?.toFixed(2) ?? 'n/a'}**`,
  '',
]);

/** How the numbers below are taken, and what they are held to (issue 19). */
const METHOD = [
  '## Method',
  '',
  '- **CPU per delivery, not requests/s.** The raw node:http server, the hand-written handlers and the load generator top out at about the same requests/s on this machine, so requests/s cannot tell the fast servers apart. Every server is instead offered the same fixed load, below its capacity, and what it spends per delivery is measured.',
  `- **Fixed load.** autocannon's \`overallRate\` offers ${rate} deliveries/s (${SQL_RATE}/s to the \`@${SQL_RATE}\` rows) over ${connections} keep-alive connections, for ${duration} s per server and mode. It lets each connection send its share at the start of every second, so a server sees a burst at full speed and then idles: below capacity on average, not smooth. The 2xx/s column shows whether a server kept up; one that did not (a busy machine) was measured at saturation.`,
  "- **CPU.** Around each run the bench asks the server process for `process.cpuUsage()` (user + system, every thread: GC and libuv's pool included) over stdin (bench/servers/cpu.mjs); for node-redis it adds redis-server's own CPU time from `/proc/<pid>/stat` (10 ms resolution, about 3 % of a run's), for node-sql that of the whole Postgres server (the postmaster with its reaped children, and every live child: backends, WAL writer, checkpointer). The difference, divided by the run's 2xx answers, is the CPU per delivery.",
  "- **Paired ratios.** In each round every server runs once per mode, back to back. A ratio is the other server's CPU per delivery over the subject's in the same round (above 1: the subject spends less), and the table gives the median over the rounds with their range; the range is the machine's noise.",
  "- **Targets** (unique deliveries, the path every new task takes): on node:http and on the Fetch handler, ≥ 0.85 × the hand-written handler on the same server and ≥ 1.1 × Octokit's node and web middleware; on Express, ≥ 1.05 × hand-written and ≥ 1.0 × Octokit; redisStore ≥ 0.6 × the memory store, redis-server's CPU included; sqlStore on Postgres ≥ 0.5 × the memory store, Postgres's CPU included; cold start ≤ 0.15 (Fetch entry) and ≤ 0.20 (Express entry) of `require('express')`. A missed target says by how many µs per delivery the subject spends more than it allows.",
  '- **Pinning.** On Linux with two CPUs or more the servers (and redis-server, and Postgres) share the last CPU and the load generator gets the others (taskset); the load average below says how much else ran.',
  '',
];

const report = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench${args.quick ? ' -- --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}: ${CPU_COUNT} CPUs (${cpus()[0]?.model.trim()}), Node.js ${process.version}.`,
  `${rounds} round(s); in each, every server in turn is offered ${rate} deliveries/s for ${duration} s per mode (autocannon's overallRate), over ${connections} keep-alive connections. Medians shown.`,
  pinned
    ? `The servers ran on CPU ${pinned.serverCpu} and the load generator on CPU ${pinned.loadCpus} (taskset).`
    : 'The servers and the load generator were not pinned to CPUs.',
  `Load average (1 min) of the machine: ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end (the bench itself adds about 2); the ranges of per-round ratios show the noise.`,
  ...(loadAtStart >= CPU_COUNT
    ? [
        `**A busy machine**: the load average was at or above the ${CPU_COUNT} CPUs before the bench began. Where a server's 2xx/s is below the offered ${rate}/s it could not keep up and was measured near saturation; a contended CPU also makes each delivery cost more, and the per-round ranges wide. Settle the verdicts below on a quiet machine.`,
      ]
    : []),
  ...skipped.map((reason) => `**${reason}**`),
  'Every server runs in its own process on loopback. The body is a ~1.5 KB completed Midjourney notification.',
  'The piapi servers use memoryStore({ max: 2,000,000 }): the default 100,000 keys, each kept for the one-hour dedupe window, refuse new deliveries (503 store_full) past about 28 unique deliveries/s sustained, which a load test reaches within seconds.',
  '',
  ...METHOD,
  ...sections,
  '## Cold start',
  '',
  coldStartReport,
  '',
  '## Memory',
  '',
  memory,
  '',
].join('\n');
console.log(report);
if (!args.quick && args.servers === ALL_SERVERS && !args['skip-memory'] && !args['skip-cold-start'])
  writeFileSync(new URL('../BENCHMARKS.md', import.meta.url), report);
