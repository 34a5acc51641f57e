/**
 * Recovery's sharp edges (issue 18, items 3–6): an answer about another task,
 * `recovery.verify` under a rate limit, a huge `Retry-After`, and a huge answer.
 * Against the fake PiAPI on loopback, over real HTTP.
 */
import request from 'supertest';
import express from 'express';
import { piapiWebhook, type PiapiTask, type PiapiWebhookOptions, type WebhookOutcome } from '../../lib/index.js';
import { nodePlatform } from '../../lib/node/platform.js';
import { createPiapiClient } from '../../lib/recovery/piapi-client.js';
import { createWebhook } from '../../lib/webhook.js';
import { FakePiapi } from '../helpers/fake-piapi.js';
import { SECRET } from '../helpers/notifications.js';

const API_KEY = 'fake-piapi-key';

let piapi: FakePiapi;
let now: number;
const later = (ms: number): void => void (now += ms);
beforeEach(async () => {
  now = Date.now();
  piapi = await FakePiapi.start({ webhooks: false });
});
afterEach(async () => {
  await piapi.close();
});

type RecoveryOverrides = Partial<NonNullable<PiapiWebhookOptions['recovery']>>;

/**
 * A webhook whose get-task client records its back-offs instead of sleeping them
 * (the sweep's own retries would otherwise wait up to 30 s each).
 */
function createHook(recovery: RecoveryOverrides = {}, options: Partial<PiapiWebhookOptions> = {}) {
  const handled: PiapiTask[] = [];
  const outcomes: WebhookOutcome[] = [];
  const waits: number[] = [];
  const { controls } = createWebhook(
    {
      secret: SECRET,
      onTask: (task) => void handled.push(task),
      onOutcome: (outcome) => void outcomes.push(outcome),
      onError: () => undefined,
      now: () => now,
      recovery: { apiKey: API_KEY, baseUrl: piapi.url, checkAfterSeconds: 1, intervalSeconds: 0, ...recovery },
      ...options,
    },
    nodePlatform,
    { sleep: async (ms) => void waits.push(ms) },
  );
  return { hook: controls, handled, outcomes, waits };
}

async function createTask(status: 'pending' | 'completed' = 'pending'): Promise<PiapiTask> {
  const task = await piapi.createTask({ model: 'midjourney', task_type: 'imagine' });
  if (status === 'completed') {
    const stored = piapi.tasks.get(task.task_id)!;
    stored.status = 'completed';
    stored.output = { image_url: 'https://img.example.com/done.png' };
  }
  return structuredClone(piapi.tasks.get(task.task_id)!);
}

describe('recovery refuses a get-task answer about another task (issue 18, item 3)', () => {
  it('reports recovery_failed for reconcile(ids) and does not run onTask with the other task', async () => {
    const asked = await createTask('completed');
    const other = await createTask('completed');
    piapi.failGets(1, { status: 200, body: { code: 200, data: other, message: 'success' } });
    const { hook, handled, outcomes } = createHook();

    const report = await hook.reconcile([asked.task_id]);
    expect(report).toMatchObject({ checked: 1, failed: [asked.task_id], recovered: [] });
    expect(handled).toEqual([]);
    const failure = outcomes.find((outcome) => outcome.type === 'recovery_failed');
    expect(failure).toMatchObject({ taskId: asked.task_id });
    expect(String((failure as { error: unknown }).error)).toContain(other.task_id);
    // Neither task was marked handled: both are recovered when PiAPI answers about them.
    expect(await hook.reconcile([asked.task_id, other.task_id])).toMatchObject({
      recovered: expect.arrayContaining([asked.task_id, other.task_id]),
    });
    expect(handled.map((task) => task.task_id).sort()).toEqual([asked.task_id, other.task_id].sort());
  });

  it('refuses it in the sweep of watched tasks too', async () => {
    const asked = await createTask('completed');
    const other = await createTask('completed');
    const { hook, handled } = createHook();
    await hook.watch(asked.task_id);
    later(1000);
    piapi.failGets(1, { status: 200, body: { code: 200, data: other, message: 'success' } });
    expect(await hook.reconcile()).toMatchObject({ failed: [asked.task_id] });
    expect(handled).toEqual([]);
  });
});

describe('recovery.verify inside a request (issue 18, item 4)', () => {
  async function deliver(verifyHook: ReturnType<typeof createVerifyHook>, data: PiapiTask) {
    return request(express().post('/hook', verifyHook.middleware))
      .post('/hook')
      .set('content-type', 'application/json')
      .set('x-webhook-secret', SECRET)
      .send(JSON.stringify({ timestamp: Math.floor(now / 1000), data }));
  }

  function createVerifyHook(recovery: RecoveryOverrides = {}) {
    const handled: PiapiTask[] = [];
    // The public middleware: its verify client must make one attempt, whatever the sweep's retries.
    const middleware = piapiWebhook({
      secret: SECRET,
      onTask: (task) => void handled.push(task),
      onError: () => undefined,
      now: () => now,
      recovery: { apiKey: API_KEY, baseUrl: piapi.url, intervalSeconds: 0, verify: true, ...recovery },
    });
    return { middleware, handled };
  }

  it('answers 503 verify_unavailable after one rate-limited attempt, without waiting out Retry-After', async () => {
    const task = await createTask('completed');
    const verifying = createVerifyHook();
    piapi.failGets(1, { status: 429, headers: { 'retry-after': '1' }, body: { code: 429, message: 'slow down' } });
    const answer = await deliver(verifying, task);
    expect([answer.status, answer.body.error]).toEqual([503, 'verify_unavailable']);
    expect(piapi.getRequests).toHaveLength(1);
    expect(verifying.handled).toEqual([]);
    // PiAPI's retry is then confirmed and handled.
    expect((await deliver(verifying, task)).status).toBe(200);
    await verifying.middleware.settled();
    expect(verifying.handled).toHaveLength(1);
  });

  it('gives up on a get-task that does not answer within requestTimeoutMs, after that one attempt', async () => {
    const task = await createTask('completed');
    const verifying = createVerifyHook({ requestTimeoutMs: 300 });
    piapi.hangGets(1);
    const answer = await deliver(verifying, task);
    expect([answer.status, answer.body.error]).toEqual([503, 'verify_unavailable']);
    expect(piapi.getRequests).toHaveLength(1);
  });

  it('leaves the sweep its retries', async () => {
    const task = await createTask('completed');
    const { hook, handled, waits } = createHook({ verify: true });
    piapi.failGets(1, { status: 429, headers: { 'retry-after': '1' } });
    expect(await hook.reconcile([task.task_id])).toMatchObject({ recovered: [task.task_id] });
    expect(piapi.getRequests).toHaveLength(2);
    expect(waits).toEqual([1000]);
    expect(handled).toHaveLength(1);
  });
});

describe('a huge Retry-After (issue 18, item 5)', () => {
  const rateLimited = { status: 429, headers: { 'retry-after': '99999999' }, body: { code: 429, message: 'busy' } };

  it('is honoured up to the back-off ceiling, not for years', async () => {
    const task = await createTask();
    const { hook, outcomes } = createHook({ checkAfterSeconds: 1 });
    await hook.watch(task.task_id);
    later(1000);
    piapi.failGets(3, rateLimited);
    expect(await hook.reconcile()).toMatchObject({ failed: [task.task_id] });
    // The back-off ceiling: ten times checkAfterSeconds.
    expect(outcomes).toContainEqual(expect.objectContaining({ type: 'recovery_failed', nextCheckAt: now + 10_000 }));
    later(10_000);
    expect(await hook.reconcile()).toMatchObject({ checked: 1, pending: [task.task_id] });
  });

  it('never puts a check past watchedAt + maxAgeSeconds: the task is given up there, and reported', async () => {
    const task = await createTask();
    const { hook, outcomes } = createHook({ checkAfterSeconds: 1, maxAgeSeconds: 5 });
    const watchedAt = now;
    await hook.watch(task.task_id);
    later(1000);
    piapi.failGets(3, rateLimited);
    expect(await hook.reconcile()).toMatchObject({ failed: [task.task_id] });
    expect(outcomes).toContainEqual(
      expect.objectContaining({ type: 'recovery_failed', nextCheckAt: watchedAt + 5000 }),
    );
    now = watchedAt + 5000;
    expect(await hook.reconcile()).toMatchObject({ checked: 1, gaveUp: [task.task_id] });
    expect(outcomes).toContainEqual({ type: 'recovery_gave_up', taskId: task.task_id, reason: 'max_age' });
  });
});

describe('a huge get-task answer (issue 18, item 6)', () => {
  const MB = 1024 * 1024;

  /** A fetch whose answer streams `totalBytes` of JSON-looking text, pulled on demand, with no content-length. */
  function streamingFetch(totalBytes: number) {
    const state = { pulled: 0, cancelled: 0, calls: 0 };
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    const fetchImpl: typeof fetch = async () => {
      state.calls += 1;
      let sent = 0;
      const body = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            if (sent >= totalBytes) return controller.close();
            sent += chunk.byteLength;
            state.pulled += chunk.byteLength;
            controller.enqueue(chunk);
          },
          cancel() {
            state.cancelled += 1;
          },
        },
        { highWaterMark: 0 },
      );
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    };
    return { fetchImpl, state };
  }

  it('stops reading a streamed answer past the cap, cancels it, and reports the lookup as failed, once', async () => {
    const { fetchImpl, state } = streamingFetch(64 * MB);
    const client = createPiapiClient({ apiKey: API_KEY, fetch: fetchImpl, sleep: async () => undefined });
    const lookup = await client.getTask('t');
    expect(lookup).toMatchObject({ kind: 'unavailable' });
    expect(lookup.kind === 'unavailable' && lookup.error.message).toContain('larger than 4194304 bytes');
    expect(state.calls).toBe(1);
    expect(state.cancelled).toBe(1);
    expect(state.pulled).toBeLessThanOrEqual(4 * MB + 64 * 1024);
  });

  it('refuses an answer whose content-length passes the cap before reading it, over HTTP', async () => {
    piapi.failGets(1, { status: 200, body: JSON.stringify({ code: 200, data: {}, pad: 'x'.repeat(5 * MB) }) });
    const client = createPiapiClient({ apiKey: API_KEY, baseUrl: piapi.url, sleep: async () => undefined });
    const lookup = await client.getTask('t');
    expect(lookup.kind === 'unavailable' && lookup.error.message).toContain('larger than');
    expect(piapi.getRequests).toHaveLength(1);
  });

  it('reads an answer within a smaller cap as usual', async () => {
    const task = await createTask();
    const client = createPiapiClient({ apiKey: API_KEY, baseUrl: piapi.url, maxResponseBytes: 64 * 1024 });
    expect(await client.getTask(task.task_id)).toMatchObject({ kind: 'found', task: { task_id: task.task_id } });
  });

  it('reports a recovery check whose answer is too large as recovery_failed', async () => {
    const task = await createTask('completed');
    const { hook, handled, outcomes } = createHook();
    piapi.failGets(1, { status: 200, body: JSON.stringify({ code: 200, data: task, pad: 'x'.repeat(5 * MB) }) });
    expect(await hook.reconcile([task.task_id])).toMatchObject({ failed: [task.task_id] });
    expect(handled).toEqual([]);
    expect(outcomes).toContainEqual(expect.objectContaining({ type: 'recovery_failed', taskId: task.task_id }));
  });
});
