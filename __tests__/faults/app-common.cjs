'use strict';
/*
 * What both apps under fault share (receiver-app.cjs, a long-lived Express
 * server; serverless-app.cjs, a function per request): the environment they
 * read, the seeded handler, the durable logs the tests read, and task creation
 * as a real app does it. Configured by environment variables (see harness.ts).
 */
const fs = require('node:fs');

const env = process.env;
const number = (name, fallback) => (env[name] === undefined || env[name] === '' ? fallback : Number(env[name]));
const scale = number('FAULT_TIME_SCALE', 0.1);
const failRate = number('FAULT_HANDLER_FAIL_RATE', 0);

// Seeded per process, so a run's handler durations and failures can be replayed.
let state = (number('FAULT_SEED', 1) * 7919 + process.pid) >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Appends one JSON line: one write, so a process killed -9 leaves whole lines behind. */
const record = (file, value) => fs.appendFileSync(file, JSON.stringify({ ...value, pid: process.pid }) + '\n');

/** The handler under test: records its start, works a while, may fail at random, and records each success durably. */
async function onTask(task, ctx) {
  const startedAt = Date.now();
  // Every start, so that a delivery taken over after a kill can be checked for its attempt (issue 20).
  if (env.FAULT_STARTED_LOG)
    record(env.FAULT_STARTED_LOG, {
      task_id: task.task_id,
      status: task.status,
      deliveryKey: ctx.deliveryKey,
      source: ctx.source,
      attempt: ctx.attempt,
      at: startedAt,
      startedAt,
    });
  // 500–5000 ms of PiAPI-scale work: 50–500 ms at timeScale 0.1.
  await new Promise((resolve) => setTimeout(resolve, (500 + random() * 4500) * scale));
  if (random() < failRate) throw new Error(`random handler failure (${task.task_id} ${task.status})`);
  record(env.FAULT_HANDLED_LOG, {
    task_id: task.task_id,
    status: task.status,
    deliveryKey: ctx.deliveryKey,
    source: ctx.source,
    attempt: ctx.attempt,
    startedAt,
    at: Date.now(),
  });
}

/** Creates a task with the fake PiAPI, as an app would, and answers its id. */
async function createTask() {
  const response = await fetch(`${env.PIAPI_URL}/api/v1/task`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': env.PIAPI_API_KEY },
    body: JSON.stringify({
      model: 'Qubico/flux1-dev',
      task_type: 'txt2img',
      input: { prompt: 'a lighthouse in a storm' },
      config: { webhook_config: { endpoint: env.FAULT_WEBHOOK_URL, secret: env.PIAPI_WEBHOOK_SECRET } },
    }),
  });
  const envelope = await response.json();
  if (envelope.code !== 200) throw new Error(`PiAPI create answered ${envelope.code}`);
  return envelope.data.task_id;
}

module.exports = { env, number, scale, random, record, onTask, createTask };
