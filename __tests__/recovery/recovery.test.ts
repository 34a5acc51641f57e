/**
 * Recovery through get-task, in-process, against the fake PiAPI: lost ends are
 * recovered, unfinished tasks are watched, failures are retried with back-off,
 * and `recovery.verify` hands onTask PiAPI's own copy.
 */
import request from 'supertest';
import express from 'express';
import {
  memoryStore,
  piapiWebhook,
  type PiapiTask,
  type PiapiWebhookContext,
  type PiapiWebhookOptions,
  type WebhookOutcome,
} from '../../lib/index.js';
import { FakePiapi } from '../helpers/fake-piapi.js';
import { SECRET } from '../helpers/notifications.js';

const API_KEY = 'fake-piapi-key';

let piapi: FakePiapi;
/** The hooks' clock: recovery's due times follow it, never the wall clock. */
let now: number;
const later = (ms = 1000): void => void (now += ms);
beforeEach(async () => {
  now = Date.now();
  // No lifecycle: each test moves its tasks' states itself.
  piapi = await FakePiapi.start({ webhooks: false });
});
afterEach(async () => {
  await piapi.close();
});

interface Handled {
  task: PiapiTask;
  context: PiapiWebhookContext;
}

function createHook(
  options: Omit<Partial<PiapiWebhookOptions>, 'recovery'> & {
    recovery?: Partial<NonNullable<PiapiWebhookOptions['recovery']>>;
  } = {},
) {
  const handled: Handled[] = [];
  const outcomes: WebhookOutcome[] = [];
  const { recovery, ...rest } = options;
  const hook = piapiWebhook({
    secret: SECRET,
    onTask: (task, context) => void handled.push({ task, context }),
    onOutcome: (outcome) => void outcomes.push(outcome),
    onError: () => undefined,
    now: () => now,
    ...rest,
    // The sweep is driven by reconcile() in these tests; checks are due a second after watching.
    recovery: { apiKey: API_KEY, baseUrl: piapi.url, checkAfterSeconds: 1, intervalSeconds: 0, ...recovery },
  });
  return { hook, handled, outcomes };
}

async function createTask(): Promise<PiapiTask> {
  return piapi.createTask({
    model: 'midjourney',
    task_type: 'imagine',
    config: { webhook_config: { endpoint: 'http://127.0.0.1:9/unreachable', secret: SECRET } },
  });
}

function finish(task: PiapiTask, status: 'completed' | 'failed' = 'completed'): void {
  const stored = piapi.tasks.get(task.task_id)!;
  stored.status = status;
  stored.output = status === 'completed' ? { image_url: 'https://img.example.com/done.png' } : null;
}

describe('recovery', () => {
  it('recovers a watched task whose end was never delivered, through the same onTask, once', async () => {
    const { hook, handled, outcomes } = createHook();
    const task = await createTask();
    await hook.watch(task.task_id);
    expect(await hook.reconcile()).toMatchObject({ checked: 0 });
    later();
    expect(await hook.reconcile()).toMatchObject({ checked: 1, pending: [task.task_id] });
    expect(handled).toEqual([]);

    finish(task);
    later(10_000);
    expect(await hook.reconcile()).toMatchObject({ checked: 1, recovered: [task.task_id] });
    expect(handled).toHaveLength(1);
    expect(handled[0]!.task).toMatchObject({
      task_id: task.task_id,
      status: 'completed',
      output: { image_url: 'https://img.example.com/done.png' },
    });
    expect(handled[0]!.context).toMatchObject({ source: 'recovery', attempt: 1 });
    expect(outcomes.map((outcome) => outcome.type)).toContain('recovered');
    // Handled: no longer watched, and a late webhook of the same end is a duplicate.
    later(60_000);
    expect(await hook.reconcile()).toMatchObject({ checked: 0 });
    expect(await hook.deliver(piapi.tasks.get(task.task_id)!)).toMatchObject({ status: 'duplicate' });
  });

  it('after a restart on memoryStore, reconcile(ids) recovers the ended tasks and watches the unfinished ones', async () => {
    const ended = await createTask();
    const running = await createTask();
    finish(ended, 'failed');
    // A fresh process: nothing in memory but the app's own table of unfinished tasks.
    const { hook, handled } = createHook({ store: memoryStore() });
    const report = await hook.reconcile([ended.task_id, running.task_id, ended.task_id]);
    expect(report).toMatchObject({ checked: 2, recovered: [ended.task_id], pending: [running.task_id] });
    expect(handled.map(({ task }) => [task.task_id, task.status])).toEqual([[ended.task_id, 'failed']]);

    finish(running);
    later(10_000);
    expect(await hook.reconcile()).toMatchObject({ recovered: [running.task_id] });
  });

  it('gives up on a task PiAPI does not know, and reports it', async () => {
    const { hook, outcomes } = createHook();
    await hook.watch('no-such-task');
    later();
    expect(await hook.reconcile()).toMatchObject({ gaveUp: ['no-such-task'] });
    expect(outcomes).toContainEqual({ type: 'recovery_gave_up', taskId: 'no-such-task', reason: 'not_found' });
    expect(await hook.reconcile()).toMatchObject({ checked: 0 });
  });

  it('gives up on a task watched longer than maxAgeSeconds', async () => {
    const { hook, outcomes } = createHook({ recovery: { maxAgeSeconds: 60 } });
    const task = await createTask();
    await hook.watch(task.task_id);
    later(61_000);
    expect(await hook.reconcile()).toMatchObject({ gaveUp: [task.task_id] });
    expect(outcomes).toContainEqual({ type: 'recovery_gave_up', taskId: task.task_id, reason: 'max_age' });
  });

  it('reports a get-task failure and checks again later, with back-off', async () => {
    const { hook, handled, outcomes } = createHook({ recovery: { checkAfterSeconds: 10 } });
    const task = await createTask();
    finish(task);
    await hook.watch(task.task_id);
    later(10_000);
    piapi.failGets(3, { status: 500, body: { code: 500, message: 'busy' } });
    expect(await hook.reconcile()).toMatchObject({ failed: [task.task_id] });
    const failure = outcomes.find((outcome) => outcome.type === 'recovery_failed');
    expect(failure).toMatchObject({ taskId: task.task_id, nextCheckAt: now + 10_000 });
    expect(JSON.stringify(outcomes)).not.toContain(API_KEY);
    // Not due yet; due at the back-off.
    expect(await hook.reconcile()).toMatchObject({ checked: 0 });
    later(10_000);
    expect(await hook.reconcile()).toMatchObject({ recovered: [task.task_id] });
    expect(handled).toHaveLength(1);
  });

  it("re-delivers a terminal task whose handler failed under ack 'immediate', telling the handler its attempt", async () => {
    let failuresLeft = 1;
    const attempts: number[] = [];
    const { hook } = createHook({
      onTask: (_task, context) => {
        attempts.push(context.attempt);
        if (failuresLeft-- > 0) throw new Error('database down');
      },
    });
    const task = await createTask();
    finish(task);
    await hook.watch(task.task_id);
    expect(
      await hook.deliver(
        { timestamp: Math.floor(now / 1000), data: piapi.tasks.get(task.task_id)! },
        { source: 'webhook' },
      ),
    ).toMatchObject({ status: 'failed' });
    later();
    expect(await hook.reconcile()).toMatchObject({ recovered: [task.task_id] });
    expect(attempts).toEqual([1, 2]);
  });

  it('with verify, hands onTask PiAPI’s own copy and refuses an end PiAPI does not confirm', async () => {
    const { hook, handled } = createHook({ recovery: { verify: true } });
    const app = express().post('/hook', hook);
    const task = await createTask();
    const post = (data: PiapiTask) =>
      request(app)
        .post('/hook')
        .set('content-type', 'application/json')
        .set('x-webhook-secret', SECRET)
        .send(JSON.stringify({ timestamp: Math.floor(now / 1000), data }));

    // Someone with the leaked secret claims the task completed, with their own result.
    const forged = { ...task, status: 'completed', output: { image_url: 'https://evil.example.com/x.png' } };
    const refused = await post(forged);
    expect([refused.status, refused.body.error]).toEqual([400, 'unverified']);

    finish(task);
    const genuine = await post({
      ...piapi.tasks.get(task.task_id)!,
      output: { image_url: 'https://evil.example.com/x.png' },
    });
    expect(genuine.status).toBe(200);
    await hook.settled();
    expect(handled.map(({ task: handedTask }) => handedTask.output)).toEqual([
      { image_url: 'https://img.example.com/done.png' },
    ]);
  });

  it('answers 503 verify_unavailable when PiAPI cannot confirm now, so PiAPI retries', async () => {
    const { hook } = createHook({ recovery: { verify: true } });
    const task = await createTask();
    finish(task);
    piapi.failGets(3, { status: 503 });
    const answer = await request(express().post('/hook', hook))
      .post('/hook')
      .set('content-type', 'application/json')
      .set('x-webhook-secret', SECRET)
      .send(JSON.stringify({ timestamp: Math.floor(now / 1000), data: piapi.tasks.get(task.task_id) }));
    expect([answer.status, answer.body.error, answer.headers['retry-after']]).toEqual([503, 'verify_unavailable', '5']);
  });

  it('refuses watch() and reconcile() without the recovery option, saying how to turn it on', async () => {
    const hook = piapiWebhook({ secret: SECRET, onTask: () => undefined });
    await expect(hook.watch('t')).rejects.toThrow('needs the recovery option');
    await expect(hook.reconcile()).rejects.toThrow('needs the recovery option');
  });
});
