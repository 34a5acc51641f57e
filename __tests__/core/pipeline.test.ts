import type { ReceiverAnswer } from '../../lib/core/answers.js';
import { parseOptions, type PiapiWebhookOptions } from '../../lib/core/options.js';
import { createPipeline } from '../../lib/core/pipeline.js';
import type { PiapiTask, PiapiWebhookContext, WebhookOutcome } from '../../lib/index.js';
import { memoryStore } from '../../lib/index.js';
import { nodePlatform } from '../../lib/node/platform.js';
import { fakeStore } from '../helpers/fake-store.js';
import { notification, NOW_MS } from '../helpers/notifications.js';

type Handler = (task: PiapiTask, context: PiapiWebhookContext) => unknown;

/** A pipeline on a fake store, with every handled task, error and outcome recorded. */
function setup(options: Partial<PiapiWebhookOptions> & { async?: boolean; handler?: Handler } = {}) {
  const { async, handler, ...rest } = options;
  const store = fakeStore({ async: async ?? false });
  const handled: Array<{ task: PiapiTask; context: PiapiWebhookContext }> = [];
  const errors: unknown[] = [];
  const outcomes: WebhookOutcome[] = [];
  const onTask = jest.fn((task: PiapiTask, context: PiapiWebhookContext) => {
    handled.push({ task, context });
    return handler?.(task, context);
  });
  const config = parseOptions(
    {
      secret: 'secret',
      onTask,
      onError: (error: unknown) => void errors.push(error),
      onOutcome: (outcome: WebhookOutcome) => void outcomes.push(outcome),
      now: () => NOW_MS,
      store,
      logger: { warn: jest.fn(), error: jest.fn() },
      ...rest,
    },
    memoryStore,
  );
  const pipeline = createPipeline(config, nodePlatform);
  return { pipeline, store, handled, errors, outcomes, onTask };
}

const outcomeHeader = (answer: ReceiverAnswer): unknown => answer.headers['x-piapi-webhook-outcome'];
const errorOf = (answer: ReceiverAnswer): unknown => (JSON.parse(answer.text) as { error?: unknown }).error;

/** Runs an immediate answer's handler, as an adapter does once the 200 is written; resolves when it has settled. */
function respond(answer: ReceiverAnswer | Promise<ReceiverAnswer>): Promise<void> {
  if (answer instanceof Promise) throw new Error('expected a synchronous answer');
  return new Promise((resolve) => answer.afterResponse?.(resolve));
}

describe('createPipeline', () => {
  it('answers a new delivery 200 accepted in the same turn on a synchronous store, and runs onTask only after', async () => {
    const { pipeline, store, handled } = setup();
    const answer = pipeline.answer(notification({ task_id: 'a', status: 'completed' }), NOW_MS, []);
    expect(answer).not.toBeInstanceOf(Promise);
    expect((answer as ReceiverAnswer).statusCode).toBe(200);
    expect(outcomeHeader(answer as ReceiverAnswer)).toBe('accepted');
    expect(handled).toEqual([]);
    await respond(answer);
    expect(handled.map(({ task, context }) => [task.task_id, context.source, context.attempt])).toEqual([
      ['a', 'webhook', 1],
    ]);
    expect(store.callsTo('claim')).toHaveLength(1);
    expect(store.callsTo('complete')).toHaveLength(1);
  });

  it('answers a copy of a handled delivery 200 duplicate, without running onTask again', async () => {
    const { pipeline, onTask, outcomes } = setup();
    const delivery = notification({ task_id: 'a', status: 'completed' });
    await respond(pipeline.answer(delivery, NOW_MS, []));
    const copy = pipeline.answer(structuredClone(delivery), NOW_MS, []) as ReceiverAnswer;
    expect(copy.statusCode).toBe(200);
    expect(outcomeHeader(copy)).toBe('duplicate');
    expect(copy.afterResponse).toBeUndefined();
    expect(onTask).toHaveBeenCalledTimes(1);
    expect(outcomes.map(({ type }) => type)).toEqual(['accepted', 'duplicate']);
  });

  it('answers with a promise on an asynchronous store, and reaches the same decisions', async () => {
    const { pipeline, handled } = setup({ async: true });
    const delivery = notification({ task_id: 'a', status: 'completed' });
    const pending = pipeline.answer(delivery, NOW_MS, []);
    expect(pending).toBeInstanceOf(Promise);
    const answer = await pending;
    expect(outcomeHeader(answer)).toBe('accepted');
    await new Promise<void>((resolve) => answer.afterResponse?.(resolve));
    expect(handled).toHaveLength(1);
    expect(outcomeHeader(await pipeline.answer(structuredClone(delivery), NOW_MS, []))).toBe('duplicate');
  });

  it('releases the claim and tells onError when onTask fails, so that a copy runs again as attempt 2', async () => {
    const failure = new Error('handler broke');
    let calls = 0;
    const { pipeline, store, handled, errors } = setup({
      handler: () => {
        calls += 1;
        if (calls === 1) throw failure;
      },
    });
    const delivery = notification({ task_id: 'a', status: 'completed' });
    await respond(pipeline.answer(delivery, NOW_MS, []));
    expect(errors).toEqual([failure]);
    expect(store.callsTo('release')).toHaveLength(1);
    expect(store.callsTo('complete')).toHaveLength(0);
    const retry = pipeline.answer(structuredClone(delivery), NOW_MS, []) as ReceiverAnswer;
    expect(outcomeHeader(retry)).toBe('accepted');
    await respond(retry);
    expect(handled.map(({ context }) => context.attempt)).toEqual([1, 2]);
  });

  describe("with ack 'after-handler'", () => {
    it('answers 200 once onTask has succeeded', async () => {
      let finish: () => void = () => undefined;
      const { pipeline } = setup({
        ack: 'after-handler',
        handler: () => new Promise<void>((resolve) => (finish = resolve)),
      });
      let answer: ReceiverAnswer | undefined;
      void Promise.resolve(pipeline.answer(notification({ task_id: 'a' }), NOW_MS, [])).then((a) => (answer = a));
      await new Promise((resolve) => setImmediate(resolve));
      expect(answer).toBeUndefined();
      finish();
      await new Promise((resolve) => setImmediate(resolve));
      expect(answer?.statusCode).toBe(200);
      expect(answer?.afterResponse).toBeUndefined();
    });

    it('answers 500 handler_failed when onTask fails, and releases the claim', async () => {
      const { pipeline, store } = setup({
        ack: 'after-handler',
        handler: () => Promise.reject(new Error('no')),
      });
      const answer = await pipeline.answer(notification({ task_id: 'a' }), NOW_MS, []);
      expect(answer.statusCode).toBe(500);
      expect(errorOf(answer)).toBe('handler_failed');
      expect(store.callsTo('release')).toHaveLength(1);
    });

    it('answers 503 in_progress when another instance holds a live lease', () => {
      const { pipeline, store, onTask } = setup({ ack: 'after-handler' });
      store.claim = () => ({ state: 'in_progress' });
      const answer = pipeline.answer(notification({ task_id: 'a' }), NOW_MS, []) as ReceiverAnswer;
      expect(answer.statusCode).toBe(503);
      expect(errorOf(answer)).toBe('in_progress');
      expect(onTask).not.toHaveBeenCalled();
    });
  });

  it("answers 200 duplicate, under ack 'immediate', when another instance holds a live lease", () => {
    const { pipeline, store } = setup();
    store.claim = () => ({ state: 'in_progress' });
    expect(outcomeHeader(pipeline.answer(notification(), NOW_MS, []) as ReceiverAnswer)).toBe('duplicate');
  });

  it('answers 503 store_full when the store has no room left', () => {
    const { pipeline, store } = setup();
    store.claim = () => ({ state: 'full' });
    const answer = pipeline.answer(notification(), NOW_MS, []) as ReceiverAnswer;
    expect([answer.statusCode, errorOf(answer)]).toEqual([503, 'store_full']);
  });

  it('answers 503 overloaded beyond maxConcurrency + maxQueue, without claiming the delivery', () => {
    const { pipeline, store } = setup({ maxConcurrency: 1, maxQueue: 0 });
    const first = pipeline.answer(notification({ task_id: 'a' }), NOW_MS, []) as ReceiverAnswer;
    expect(first.statusCode).toBe(200);
    const second = pipeline.answer(notification({ task_id: 'b' }), NOW_MS, []) as ReceiverAnswer;
    expect([second.statusCode, errorOf(second)]).toEqual([503, 'overloaded']);
    expect(store.callsTo('claim')).toHaveLength(1);
  });

  it('handles a delivery whose store fails, rather than lose it, and reports the failure', async () => {
    const { pipeline, store, handled, outcomes, errors } = setup();
    store.claim = () => {
      throw new Error('redis is down');
    };
    const answer = pipeline.answer(notification({ task_id: 'a' }), NOW_MS, []);
    expect(outcomeHeader(answer as ReceiverAnswer)).toBe('accepted');
    await respond(answer);
    expect(handled).toHaveLength(1);
    expect(outcomes.some((outcome) => outcome.type === 'store_error')).toBe(true);
    expect(errors).toHaveLength(1);
  });

  it('asks the store to watch the task in the same claim when recovery is on', () => {
    const { pipeline, store } = setup({ recovery: { apiKey: 'key', intervalSeconds: 0, checkAfterSeconds: 30 } });
    void pipeline.answer(notification({ task_id: 'watched-task' }), NOW_MS, []);
    expect(store.callsTo('claim')[0]?.args[3]).toEqual({ taskId: 'watched-task', dueAt: NOW_MS + 30_000, now: NOW_MS });
  });

  describe('with fake timers', () => {
    beforeEach(() => jest.useFakeTimers({ now: NOW_MS }));
    afterEach(() => jest.useRealTimers());

    it('renews the lease every leaseMs / 3 while onTask runs, and stops once it has settled', async () => {
      let finish: () => void = () => undefined;
      const { pipeline, store } = setup({
        leaseSeconds: 3,
        handler: () => new Promise<void>((resolve) => (finish = resolve)),
      });
      const settled = respond(pipeline.answer(notification(), NOW_MS, []));
      jest.advanceTimersByTime(3000);
      expect(store.callsTo('renew')).toHaveLength(3);
      finish();
      await settled;
      jest.advanceTimersByTime(3000);
      expect(store.callsTo('renew')).toHaveLength(3);
    });

    it('counts a handler past handlerTimeoutMs as failed: onError is told and the claim released', async () => {
      const { pipeline, store, errors } = setup({
        handlerTimeoutMs: 5000,
        handler: () => new Promise<void>(() => undefined),
      });
      const settled = respond(pipeline.answer(notification(), NOW_MS, []));
      jest.advanceTimersByTime(5000);
      await settled;
      expect(errors).toHaveLength(1);
      expect((errors[0] as Error).name).toBe('PiapiWebhookHandlerTimeoutError');
      expect(store.callsTo('release')).toHaveLength(1);
    });
  });

  describe('run(), for deliver() and the recovery', () => {
    it('hands back handled, then duplicate for the same delivery', async () => {
      const { pipeline, handled } = setup();
      const delivery = notification({ task_id: 'a', status: 'completed' });
      await expect(pipeline.run(delivery, 'deliver')).resolves.toMatchObject({ status: 'handled' });
      expect(handled[0]?.context.source).toBe('deliver');
      await expect(pipeline.run(structuredClone(delivery), 'recovery')).resolves.toMatchObject({
        status: 'duplicate',
      });
    });

    it('hands back failed with the error, in_progress, and rejected store_full', async () => {
      const failure = new Error('no');
      const { pipeline, store } = setup({
        handler: () => {
          throw failure;
        },
      });
      await expect(pipeline.run(notification({ task_id: 'a' }), 'deliver')).resolves.toMatchObject({
        status: 'failed',
        error: failure,
      });
      store.claim = () => ({ state: 'in_progress' });
      await expect(pipeline.run(notification({ task_id: 'b' }), 'deliver')).resolves.toMatchObject({
        status: 'in_progress',
      });
      store.claim = () => ({ state: 'full' });
      await expect(pipeline.run(notification({ task_id: 'c' }), 'deliver')).resolves.toMatchObject({
        status: 'rejected',
        reason: 'store_full',
      });
    });
  });

  it('watch() asks the store to watch a task from now', () => {
    const { pipeline, store } = setup();
    void pipeline.watch('t', 60_000);
    expect(store.callsTo('watch')[0]?.args).toEqual(['t', NOW_MS + 60_000, NOW_MS]);
  });
});
