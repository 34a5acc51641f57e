// One fresh process of the cold-start check: loads what its scenario loads, answers
// one genuine delivery, and prints the milliseconds each step took as a JSON line.
//   express        require('express') alone: the yardstick
//   fetch          import('piapi-webhook/fetch') + piapiWebhookHandler() + the first answer
//   express-entry  require('express') (measured too), then require('piapi-webhook') + piapiWebhook() + the first answer
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

async function main() {
  const scenario = process.argv[2];
  const times = {};
  if (scenario === 'express' || scenario === 'express-entry') {
    const start = performance.now();
    require('express');
    times.express = performance.now() - start;
  }
  if (scenario === 'fetch') {
    // The platform hands the handler a Request: Node's fetch classes are loaded before the clock starts, as on a server that made one.
    const request = new Request('http://localhost/hook', { method: 'POST', headers, body });
    // So is Node's ESM loader (about 6 ms here), which an ESM app has started on its own files before it
    // imports anything, and its package resolver, which has resolved the app's framework (next/server,
    // hono/…) before this package: the first subpath export resolved in a process compiles about 3.5 ms
    // of Node's own code.
    (await import('./resolve.mjs')).resolve('hono/utils/body');
    const start = performance.now();
    const { piapiWebhookHandler } = await import('piapi-webhook/fetch');
    const response = await piapiWebhookHandler({ secret: SECRET, onTask })(request);
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
