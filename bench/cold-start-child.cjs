// One fresh process of the cold-start check: loads what its scenario loads, answers
// one genuine delivery, and prints the milliseconds each step took as a JSON line.
//   express        require('express') alone: the yardstick
//   fetch          import('piapi-webhook/fetch') + piapiWebhookHandler() + the first answer
//   express-entry  require('express') (measured too), then require('piapi-webhook') + piapiWebhook() + the first answer
//   fetch-upstash  as fetch, plus import('piapi-webhook/upstash') + upstashStore() (measured apart too), the first answer
//                  claimed through that store; @upstash/redis itself is loaded, and its client made and used once,
//                  before the clock starts
// The clock starts after Node itself has started, which every scenario pays alike.
const { performance } = require('node:perf_hooks');
const { Readable, Writable } = require('node:stream');

const SECRET = 'bench-secret';
// A small, genuine notification, built by hand so that nothing of the package is loaded before the clock starts.
const body = JSON.stringify({
  timestamp: Math.floor(Date.now() / 1000),
  data: {
    task_id: 'cold-start',
    model: 'midjourney',
    task_type: 'imagine',
    status: 'completed',
    input: {},
    output: {},
    meta: {},
    detail: null,
    logs: [],
    error: { code: 0, message: '' },
  },
});
const headers = { 'content-type': 'application/json', 'x-webhook-secret': SECRET };
const onTask = () => {};

/** The first answer of the Express entry, through a request and a response as node:http hands them over. */
function answerNode(hook) {
  return new Promise((resolve, reject) => {
    const buffer = Buffer.from(body);
    const req = Object.assign(Readable.from([buffer], { objectMode: false }), {
      method: 'POST',
      url: '/',
      headers: { ...headers, 'content-length': String(buffer.length) },
      complete: true,
    });
    const res = new Writable({ write: (_chunk, _encoding, done) => done() });
    res.writeHead = function writeHead(statusCode) {
      this.statusCode = statusCode;
      return this;
    };
    res.on('finish', () => (res.statusCode === 200 ? resolve() : reject(new Error(`answered ${res.statusCode}`))));
    hook(req, res);
  });
}

/** The sha1 of the store's CLAIM script (lib/stores/redis-scripts.ts): a new key's claim answers [2, attempt 1]. */
const CLAIM_SHA = '425f8b099765eaf3ae5838d1abbed8aed82b0150';

/**
 * A real @upstash/redis client whose requests are answered in-process, as Upstash's REST API answers
 * them ({ result }), so that no network time is counted: CLAIM says claimed, every other script 1.
 */
async function upstashClient() {
  const { Redis } = await import('@upstash/redis');
  const redis = new Redis({
    request: async ({ body }) => ({ result: Array.isArray(body) && body[1] === CLAIM_SHA ? [2, 1] : 1 }),
  });
  // Run the client's EVALSHA path once, so that its own first-call cost is not counted either.
  await redis.evalsha('0'.repeat(40), ['warm-up'], []);
  return redis;
}

async function main() {
  const scenario = process.argv[2];
  const times = {};
  if (scenario === 'express' || scenario === 'express-entry') {
    const start = performance.now();
    require('express');
    times.express = performance.now() - start;
  }
  if (scenario === 'fetch' || scenario === 'fetch-upstash') {
    // The platform hands the handler a Request: Node's fetch classes are loaded before the clock starts, as on a server that made one.
    const request = new Request('http://localhost/hook', { method: 'POST', headers, body });
    // So is Node's ESM loader (about 6 ms here), which an ESM app has started on its own files before it
    // imports anything, and its package resolver, which has resolved the app's framework (next/server,
    // hono/…) before this package: the first subpath export resolved in a process compiles about 3.5 ms
    // of Node's own code.
    (await import('./resolve.mjs')).resolve('hono/utils/body');
    const redis = scenario === 'fetch-upstash' ? await upstashClient() : undefined;
    const start = performance.now();
    const { piapiWebhookHandler } = await import('piapi-webhook/fetch');
    let store;
    if (redis) {
      const upstashStart = performance.now();
      const { upstashStore } = await import('piapi-webhook/upstash');
      store = upstashStore(redis);
      times.upstash = performance.now() - upstashStart;
      // The floor: what importing one more ES module costs at this point, whatever it holds (outside the clock above).
      const emptyStart = performance.now();
      await import('./empty-module.mjs');
      times.emptyModule = performance.now() - emptyStart;
    }
    const response = await piapiWebhookHandler({ secret: SECRET, onTask, ...(store && { store }) })(request);
    if (response.status !== 200) throw new Error(`answered ${response.status}: ${await response.text()}`);
    times.piapi = performance.now() - start;
  }
  if (scenario === 'express-entry') {
    const start = performance.now();
    const { piapiWebhook } = require('piapi-webhook');
    await answerNode(piapiWebhook({ secret: SECRET, onTask }));
    times.piapi = performance.now() - start;
  }
  process.stdout.write(`${JSON.stringify(times)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
