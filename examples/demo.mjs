// npm run demo: a real Express app with piapiWebhook on localhost, fed a realistic
// sequence of PiAPI notifications. Prints what was answered and what onTask received.
import { setImmediate as nextTurn } from 'node:timers/promises';
import express from 'express';
import { piapiWebhook } from 'piapi-webhook';
import { fixture } from 'piapi-webhook/testing';

const SECRET = 'demo-secret';

const handled = [];
const app = express();
app.post(
  '/piapi/webhook',
  piapiWebhook({
    secret: SECRET,
    maxSkewSeconds: 300,
    onTask: async (task, ctx) => {
      handled.push(`${task.status}${task.output?.progress === undefined ? '' : ` ${task.output.progress}%`} @${ctx.timestamp}`);
    },
  }),
);
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const url = `http://127.0.0.1:${server.address().port}/piapi/webhook`;

// One Midjourney task, as PiAPI reports it: pending, then progress, then done.
const now = Math.floor(Date.now() / 1000);
const task = fixture('midjourney-imagine-completed').data;
const at = (timestamp, status, output) => ({ timestamp, data: { ...task, status, output } });
const pending = at(now - 40, 'pending', null);
const processing = at(now - 30, 'processing', { ...fixture('midjourney-imagine-processing').data.output, progress: 45 });
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
  await nextTurn();
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
console.log(`\nonTask ran ${handled.length} times for ${steps.length} deliveries: once per new state, never for a retry or a refused request.`);
