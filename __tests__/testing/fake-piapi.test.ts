/**
 * Issue 18, item 16: `createFakePiapi()` from piapi-webhook/testing lets a user
 * try recovery locally. It answers get-task and task creation with PiAPI's
 * envelope `{ code, data, message }`, and sends notifications under PiAPI's
 * retry policy, with a delay tests can shorten.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { piapiWebhook, type PiapiTask, type TaskSource } from '../../lib/index.js';
import { createFakePiapi, type FakePiapi } from '../../lib/testing/index.js';
import { eventually } from '../helpers/wait.js';

const KEY = 'local-key';
const SECRET = 'local-secret';

let piapi: FakePiapi;
let server: Server | undefined;
afterEach(async () => {
  server?.close();
  server = undefined;
  await piapi.close();
});

/** A webhook endpoint answering `status` (and recording when each attempt arrived). */
async function endpoint(status: number): Promise<{ url: string; arrivals: number[] }> {
  const arrivals: number[] = [];
  server = createServer((req, res) => {
    arrivals.push(Date.now());
    req.resume().on('end', () => res.writeHead(status).end());
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, arrivals };
}

describe('createFakePiapi()', () => {
  it("answers get-task with PiAPI's envelope { code, data, message }, and refuses another key", async () => {
    piapi = await createFakePiapi({ apiKey: KEY });
    const created = await fetch(`${piapi.url}/api/v1/task`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'midjourney', task_type: 'imagine', input: { prompt: 'a cat' } }),
    });
    const { code, data, message } = (await created.json()) as { code: number; data: PiapiTask; message: string };
    expect([created.status, code, data.status, message]).toEqual([200, 200, 'pending', 'success']);

    const get = (id: string, key = KEY) => fetch(`${piapi.url}/api/v1/task/${id}`, { headers: { 'x-api-key': key } });
    const found = await get(data.task_id);
    expect(await found.json()).toEqual({
      code: 200,
      data: expect.objectContaining({ task_id: data.task_id }),
      message: 'success',
    });
    const unknown = await get('no-such-task');
    expect([unknown.status, await unknown.json()]).toEqual([404, { code: 404, data: null, message: 'task not found' }]);
    const wrongKey = await get(data.task_id, 'another-key');
    expect([wrongKey.status, ((await wrongKey.json()) as { code: number }).code]).toEqual([401, 401]);
  });

  it('retries a refused notification after retryDelayMs, `attempts` times in all, then drops it', async () => {
    piapi = await createFakePiapi({ apiKey: KEY, retryDelayMs: 100, attempts: 3 });
    const target = await endpoint(503);
    await piapi.createTask({
      model: 'suno',
      task_type: 'music',
      config: { webhook_config: { endpoint: target.url, secret: SECRET } },
    });
    await eventually(() => piapi.dropped().length === 1, 'the notification to be dropped');
    expect(
      piapi.deliveries.map((attempt) => [attempt.status, attempt.attempt, attempt.result, attempt.dropped]),
    ).toEqual([
      ['pending', 1, 503, false],
      ['pending', 2, 503, false],
      ['pending', 3, 503, true],
    ]);
    // Never sooner than the delay (a lower bound only: a slow machine may take longer).
    expect(target.arrivals[1]! - target.arrivals[0]!).toBeGreaterThanOrEqual(95);
    expect(target.arrivals[2]! - target.arrivals[1]!).toBeGreaterThanOrEqual(95);
  });

  it('lets a user test recovery: a lost webhook is recovered through get-task by hook.reconcile()', async () => {
    piapi = await createFakePiapi({ apiKey: KEY, retryDelayMs: 10 });
    const handled: Array<[string, TaskSource]> = [];
    const hook = piapiWebhook({
      secret: SECRET,
      onTask: (task, context) => void handled.push([task.status, context.source]),
      recovery: { apiKey: KEY, baseUrl: piapi.url, intervalSeconds: 0 },
    });
    const app = express().post('/hook', hook);
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server!.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

    const task = await piapi.createTask({
      model: 'midjourney',
      task_type: 'imagine',
      config: { webhook_config: { endpoint: url, secret: SECRET } },
    });
    await eventually(() => piapi.deliveries.length === 1, 'the pending notification');
    await hook.settled();
    // Its end is never notified: only get-task knows it.
    piapi.updateTask(
      task.task_id,
      { status: 'completed', output: { image_url: 'https://img.example/a.png' } },
      { notify: false },
    );
    const report = await hook.reconcile([task.task_id]);
    expect(report.recovered).toEqual([task.task_id]);
    expect(handled).toEqual([
      ['pending', 'webhook'],
      ['completed', 'recovery'],
    ]);
    expect(piapi.deliveries).toHaveLength(1);
    expect(piapi.getRequests).toEqual([{ taskId: task.task_id, apiKey: KEY }]);
    await hook.drain();
  });

  it('runs a lifecycle of its own when given one, notifying each status', async () => {
    piapi = await createFakePiapi({
      apiKey: KEY,
      lifecycle: () => ({ pendingMs: 10, processingMs: 10, outcome: 'completed' }),
    });
    const target = await endpoint(200);
    await piapi.createTask({
      model: 'kling',
      task_type: 'video_generation',
      config: { webhook_config: { endpoint: target.url, secret: SECRET } },
    });
    await piapi.idle();
    expect(piapi.deliveries.map((attempt) => [attempt.status, attempt.result])).toEqual([
      ['pending', 200],
      ['processing', 200],
      ['completed', 200],
    ]);
  });
});
