// npm run bench [-- --quick] [--duration s] [--rounds n] [--connections n] [--servers a,b] [--skip-memory] [--skip-cold-start] [--unpinned]
//
// Starts every server of servers/ that a group below names, each as its own
// process on loopback (a redis-server of its own for the redisStore row), drives
// them in alternating rounds (A B C … A B C …) with autocannon over keep-alive
// connections, each server first with a unique delivery per request and then
// with one fixed delivery (the duplicate path), and reports medians, and ratios
// as medians of per-round ratios, against their targets. Then runs the memory
// and cold-start checks. A complete run writes the tables to BENCHMARKS.md.
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
import { startRedis } from './redis-server.mjs';
import { SECRET } from './servers/listen.mjs';
import { median, verdict } from './stats.mjs';

/**
 * The tables of the report. In each, `subject` is compared with the other rows;
 * a ratio with a target says whether it is met. `raw` (node:http alone) is the
 * ceiling of the first two groups and runs once.
 */
const GROUPS = [
  {
    title: 'Express 5',
    note: 'Every server runs on the same Express 5 (but raw, which is node:http alone).',
    servers: ['raw', 'handwritten', 'octokit', 'piapi'],
    subject: 'piapi',
    ratios: [{ other: 'handwritten', label: 'hand-written' }, { other: 'octokit' }, { other: 'raw' }],
  },
  {
    title: 'node:http, no framework',
    note: "The middleware and Octokit's createNodeMiddleware as the whole node:http server; node-redis is node-piapi with redisStore on a redis-server of the bench's own, on the servers' CPU.",
    servers: ['raw', 'node-octokit', 'node-piapi', 'node-redis'],
    subject: 'node-piapi',
    ratios: [
      { other: 'raw', target: 0.75 },
      { other: 'node-octokit', target: 1.15 },
      { other: 'node-piapi', subject: 'node-redis', target: 0.6 },
    ],
  },
  {
    title: 'Fetch handler on Node (@hono/node-server)',
    note: 'piapiWebhookHandler against a hand-written Fetch handler (`await req.json()`, `!==`, `Response.json`), both on @hono/node-server.',
    servers: ['fetch-handwritten', 'fetch-piapi'],
    subject: 'fetch-piapi',
    ratios: [{ other: 'fetch-handwritten', label: 'hand-written', target: 1.0 }],
  },
];
const ALL_SERVERS = [...new Set(GROUPS.flatMap((group) => group.servers))].join(',');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
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
const SERVERS = args.servers.split(',');
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

/** Starts one server process and resolves with its port once it listens. */
function start(name, env) {
  const file = new URL(`./servers/${name}.mjs`, import.meta.url).pathname;
  const [command, ...argv] = [...serverPrefix, process.execPath, file];
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} server exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (line) =>
      resolve({ name, child, port: JSON.parse(line).port }),
    );
  });
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
  return autocannon({ url: `http://127.0.0.1:${port}`, connections, duration: seconds, requests: [{ setupRequest }] });
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
const redis = SERVERS.includes('node-redis') ? await startRedis(serverPrefix) : undefined;
const servers = await Promise.all(SERVERS.map((name) => start(name, redis ? { REDIS_URL: redis.url } : {})));
const runs = Object.fromEntries(MODES.map(([mode]) => [mode, Object.fromEntries(SERVERS.map((name) => [name, []]))]));
try {
  // A short unrecorded run each, so that no server is measured before the JIT has warmed it.
  for (const server of servers) await drive(server, false, Math.min(duration, 2));
  // Each round runs every server in both modes, back to back, so that per-round ratios compare neighbours.
  for (let round = 0; round < rounds; round += 1) {
    for (const server of servers) {
      for (const [mode, fixed] of MODES) {
        const result = await drive(server, fixed);
        runs[mode][server.name].push(result);
        process.stderr.write(
          `round ${round + 1}/${rounds} ${server.name} ${mode}: ${Math.round(result.requests.average)} req/s\n`,
        );
      }
    }
  }
} finally {
  for (const { child } of servers) child.kill();
  redis?.stop();
}

/** `a`'s requests/s over `b`'s in each round: neighbours in time, so drift cancels. */
const roundRatios = (a, b) =>
  a && b ? a.map((result, round) => result.requests.average / b[round].requests.average) : undefined;

/** The median, over the rounds, of `a`'s requests/s over `b`'s in the same round. */
function pairedRatio(a, b) {
  const ratios = roundRatios(a, b);
  return ratios && median(ratios);
}

function table(group, mode) {
  const names = group.servers.filter((name) => SERVERS.includes(name));
  const lines = ['| server | requests/s | p50 ms | p99 ms | non-2xx or errors |', '|---|---:|---:|---:|---:|'];
  for (const name of names) {
    const results = runs[mode][name];
    const rps = median(results.map((result) => result.requests.average));
    const p50 = median(results.map((result) => result.latency.p50));
    const p99 = median(results.map((result) => result.latency.p99));
    const non2xx = results.reduce((sum, result) => sum + result.non2xx + result.errors + result.timeouts, 0);
    lines.push(`| ${name} | ${Math.round(rps)} | ${p50} | ${p99} | ${non2xx} |`);
  }
  const ratios = group.ratios.map(({ other, subject = group.subject, label = other, target }) => {
    const perRound = roundRatios(runs[mode][subject], runs[mode][other]);
    if (perRound === undefined) return `${subject} / ${label}: **n/a**`;
    const ratio = median(perRound);
    // The spread over the rounds says how far the machine's noise moves the ratio.
    const notes =
      perRound.length > 1 ? [`rounds ${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)}`] : [];
    // Targets are set for unique deliveries, the path every new task takes.
    if (target !== undefined && mode === 'unique')
      notes.push(`target ≥ ${target.toFixed(2)}: ${verdict(ratio, target, 'min')}`);
    return `${subject} / ${label}: **${ratio.toFixed(2)}**${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
  });
  lines.push('', ratios.join(', '));
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
  `${group.subject}'s duplicate path over its unique path: **${pairedRatio(runs.duplicate[group.subject], runs.unique[group.subject])?.toFixed(2) ?? 'n/a'}**`,
  '',
]);

const report = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench${args.quick ? ' -- --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}: ${CPU_COUNT} CPUs (${cpus()[0]?.model.trim()}), Node.js ${process.version}.`,
  `${rounds} round(s); in each, every server in turn runs ${duration} s per mode, over ${connections} keep-alive connections. Medians shown.`,
  pinned
    ? `The servers ran on CPU ${pinned.serverCpu} and the load generator on CPU ${pinned.loadCpus} (taskset).`
    : 'The servers and the load generator were not pinned to CPUs.',
  `Load average (1 min) of the machine: ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end (the bench itself adds about 2); the ranges of per-round ratios show the noise.`,
  "Each ratio is the median, over the rounds, of one server's requests/s over the other's in the same round; targets apply to unique deliveries.",
  'Every server runs in its own process on loopback. The body is a ~1.5 KB completed Midjourney notification.',
  'The piapi servers use memoryStore({ max: 2,000,000 }): the default 100,000 keys, each kept for the one-hour dedupe window, refuse new deliveries (503 store_full) past about 28 unique deliveries/s sustained, which a load test reaches within seconds.',
  '',
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
