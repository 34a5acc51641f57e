// npm run demo: a real Express app with piapiWebhook on localhost, fed a realistic
// sequence of PiAPI notifications. Prints what was answered and what onTask received.
import { createServer } from 'node:http';
import express from 'express';
import { piapiWebhook } from 'piapi-webhook';
import { fixture } from 'piapi-webhook/testing';

const SECRET = 'demo-secret';

const handled = [];
const app = express();
const hook = piapiWebhook({
  secret: SECRET,
  maxSkewSeconds: 300,
  onTask: async (task, ctx) => {
    handled.push(
      `${task.status}${task.output?.progress === undefined ? '' : ` ${task.output.progress}%`} @${ctx.timestamp}`,
    );
  },
});
app.post('/piapi/webhook', hook);
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const url = `http://127.0.0.1:${server.address().port}/piapi/webhook`;

// One Midjourney task, as PiAPI reports it: pending, then progress, then done.
const now = Math.floor(Date.now() / 1000);
const task = fixture('midjourney-imagine-completed').data;
const at = (timestamp, status, output) => ({ timestamp, data: { ...task, status, output } });
const pending = at(now - 40, 'pending', null);
const processing = at(now - 30, 'processing', {
  ...fixture('midjourney-imagine-processing').data.output,
  progress: 45,
});
const completed = at(now - 5, 'completed', task.output);

const steps = [
  ['task created (pending)', pending],
  ['progress 45% (processing)', processing],
  ['retry of the progress delivery', processing],
  ['task completed', completed],
  ['retry of the completion', completed],
  ['completion re-sent, new timestamp', { ...completed, timestamp: now }],
  ['wrong secret', completed, { secret: 'guess' }],
  ['timestamp 1 hour old', at(now - 3600, 'completed', task.output)],
  ['malformed JSON body', '{"timestamp": 17'],
  ['not JSON (text/plain)', completed, { contentType: 'text/plain' }],
];

const rows = [];
for (const [what, body, { secret = SECRET, contentType = 'application/json' } = {}] of steps) {
  const before = handled.length;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, 'x-webhook-secret': secret },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const answer = await response.json();
  await hook.settled();
  rows.push([what, `${response.status} ${answer.error ?? 'ok'}`, handled.slice(before).join(', ') || '-']);
}
server.close();

const header = ['delivery', 'answer', 'onTask received'];
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
const line = (cells) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  |  ');
console.log(`piapi-webhook demo: task ${task.task_id} (${task.model} ${task.task_type})\n`);
console.log(line(header));
console.log(widths.map((width) => '-'.repeat(width)).join('--+--'));
for (const row of rows) console.log(line(row));
console.log(
  `\nonTask ran ${handled.length} times for ${steps.length} deliveries: once per new state, never for a retry or a refused request.`,
);

// Part 2: a restart recovered through PiAPI's get-task API. A tiny stand-in for PiAPI's
// task API runs on localhost (the real one is https://api.piapi.ai).
const API_KEY = 'demo-api-key';
const tasks = new Map();
const piapi = createServer((req, res) => {
  const id = decodeURIComponent(req.url.split('/').pop());
  const known = req.headers['x-api-key'] === API_KEY && tasks.has(id);
  res.writeHead(known ? 200 : 404, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify(
      known
        ? { code: 200, data: tasks.get(id), message: 'success' }
        : { code: 404, data: null, message: 'task not found' },
    ),
  );
});
piapi.listen(0, '127.0.0.1');
await new Promise((resolve) => piapi.once('listening', resolve));
const baseUrl = `http://127.0.0.1:${piapi.address().port}`;

// Before the crash: the app creates a task with PiAPI, notes it as unfinished, and watches it.
const lost = { ...task, task_id: 'c0ffee00-demo-4d1e-9a7b-5e1f2a3b4c5d', status: 'processing', output: null };
tasks.set(lost.task_id, lost);
const unfinished = [lost.task_id];
console.log(`\nThe app watches task ${lost.task_id} and is killed. While it is down, the task completes;`);
console.log("PiAPI's webhook fails 3 times (5 s apart) and is dropped.");
tasks.set(lost.task_id, { ...task, task_id: lost.task_id, status: 'completed' });

// After the restart: a fresh process (memoryStore is empty) reconciles its own table of unfinished tasks.
const recovered = [];
const restarted = piapiWebhook({
  secret: SECRET,
  onTask: (recoveredTask, ctx) =>
    void recovered.push(`${recoveredTask.status} via ${ctx.source}, attempt ${ctx.attempt}`),
  recovery: { apiKey: API_KEY, baseUrl, intervalSeconds: 0 },
});
const report = await restarted.reconcile(unfinished);
console.log(
  `After the restart, reconcile(unfinished) asked get-task: recovered ${report.recovered.length}, pending ${report.pending.length}.`,
);
console.log(`onTask received: ${recovered.join(', ')}.`);
piapi.close();
