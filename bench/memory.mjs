// Pushes unique deliveries through piapiWebhook in-process, without sockets, and
// reports the heap after GC. Run with --expose-gc (npm run bench does).
// The clock is injected and moves 100 ms per delivery (10 deliveries/s), so that
// keys leave the dedupe window as they would in production: the default store
// never forgets a key inside it, and refuses (503) once full of such keys.
import { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { piapiWebhook } from 'piapi-webhook';
import { fixture } from 'piapi-webhook/testing';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
// Keys leave the one-hour dedupe window after 36,000 deliveries at 10/s, and the store drops them once its 100,000 places are taken: past that the heap should stop growing.
const checkpoints = args.quick ? [120_000, 200_000] : [10_000, 100_000, 1_000_000];
const SECRET = 'bench-secret';

const completed = fixture('midjourney-imagine-completed');
const MS_PER_DELIVERY = 100;
let clock = Date.now();
const [head, tail] = JSON.stringify({ ...completed, timestamp: 0, data: { ...completed.data, task_id: '@ID@' } }).split(
  '"@ID@"',
);
const headers = { 'content-type': 'application/json', 'x-webhook-secret': SECRET };

let handled = 0;
const hook = piapiWebhook({ secret: SECRET, onTask: () => void (handled += 1), now: () => clock });

/** A request as the middleware sees it: a readable body with method and headers. */
function fakeRequest(index) {
  clock += MS_PER_DELIVERY;
  const timestamp = Math.floor(clock / 1000);
  const body = Buffer.from(`${head.replace('"timestamp":0', `"timestamp":${timestamp}`)}"memory-${index}"${tail}`);
  return Object.assign(Readable.from([body], { objectMode: false }), {
    method: 'POST',
    headers: { ...headers, 'content-length': String(body.length) },
    complete: true,
  });
}

/** A response that discards what is written and finishes. */
function fakeResponse(onEnd) {
  const res = new Writable({ write: (_chunk, _encoding, done) => done() });
  res.writeHead = function writeHead(statusCode) {
    this.statusCode = statusCode;
    return this;
  };
  res.on('finish', onEnd);
  return res;
}

function deliver(index) {
  return new Promise((resolve, reject) => {
    const res = fakeResponse(() =>
      res.statusCode === 200 ? resolve() : reject(new Error(`answered ${res.statusCode}`)),
    );
    hook(fakeRequest(index), res);
  });
}

const heapMb = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

const rows = [];
let sent = 0;
for (const checkpoint of checkpoints) {
  for (; sent < checkpoint; sent += 1) await deliver(sent);
  await new Promise((resolve) => setImmediate(resolve));
  rows.push([checkpoint, heapMb()]);
}
if (handled !== sent) throw new Error(`onTask ran ${handled} times for ${sent} deliveries`);

const [fromCount, growthFrom] = rows[rows.length - 2];
const [toCount, growthTo] = rows[rows.length - 1];
console.log('| unique deliveries | heap after GC |');
console.log('|---:|---:|');
for (const [count, mb] of rows) console.log(`| ${count.toLocaleString('en-US')} | ${mb.toFixed(1)} MB |`);
console.log('');
console.log(
  `Heap growth from ${fromCount.toLocaleString('en-US')} to ${toCount.toLocaleString('en-US')} deliveries: ${(growthTo - growthFrom).toFixed(2)} MB (${1000 / MS_PER_DELIVERY} deliveries/s on the injected clock; the default store keeps each key for its dedupe window and holds at most 100,000).`,
);
