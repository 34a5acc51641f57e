/**
 * A task that cannot be watched is never dropped silently (issue 18, item 7):
 * `hook.watch()` rejects with a typed error, and a notification's automatic
 * watch that is dropped emits `watch_dropped`.
 */
import {
  memoryStore,
  piapiWebhook,
  PiapiWebhookStoreError,
  PiapiWebhookWatchError,
  type DedupeStore,
  type PiapiWebhookOptions,
  type WebhookOutcome,
} from '../../lib/index.js';
import { notification, NOW_MS, SECRET } from '../helpers/notifications.js';

function createHook(store: DedupeStore, options: Partial<PiapiWebhookOptions> = {}) {
  const outcomes: WebhookOutcome[] = [];
  const hook = piapiWebhook({
    secret: SECRET,
    onTask: () => undefined,
    onOutcome: (outcome) => void outcomes.push(outcome),
    onError: () => undefined,
    now: () => NOW_MS,
    store,
    storeTimeoutMs: 100,
    // The local fake below never answers: intervalSeconds 0 keeps the sweep out of the way.
    recovery: { apiKey: 'k', baseUrl: 'http://127.0.0.1:9', intervalSeconds: 0 },
    ...options,
  });
  return { hook, outcomes };
}

describe('hook.watch()', () => {
  it('rejects with PiapiWebhookWatchError (store_full) beyond memoryStore’s capacity, and reports it', async () => {
    const { hook, outcomes } = createHook(memoryStore({ max: 2 }));
    await hook.watch('task-1');
    await hook.watch('task-2');
    // Watching a task twice is not a new place.
    await hook.watch('task-1');
    const refused = hook.watch('task-3');
    await expect(refused).rejects.toBeInstanceOf(PiapiWebhookWatchError);
    await expect(refused).rejects.toMatchObject({
      taskId: 'task-3',
      reason: 'store_full',
      code: 'ERR_PIAPI_WEBHOOK_WATCH',
    });
    expect(outcomes).toEqual([{ type: 'watch_dropped', taskId: 'task-3', reason: 'store_full' }]);
  });

  it('rejects with store_failed when the store fails, with the store error as its cause', async () => {
    const store: DedupeStore = { ...memoryStore(), watch: () => Promise.reject(new Error('ECONNREFUSED')) };
    const { hook, outcomes } = createHook(store);
    const error = await hook.watch('task-1').then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(PiapiWebhookWatchError);
    expect(error).toMatchObject({ reason: 'store_failed' });
    expect((error as Error).cause).toBeInstanceOf(PiapiWebhookStoreError);
    expect(outcomes.map((outcome) => outcome.type)).toEqual(['store_error', 'watch_dropped']);
  });

  it('rejects while the store is skipped after a failure, instead of resolving as if it had recorded the task', async () => {
    let watched = 0;
    const store: DedupeStore = {
      ...memoryStore(),
      claim: () => Promise.reject(new Error('ECONNREFUSED')),
      watch: () => void (watched += 1),
    };
    const { hook } = createHook(store, { storeCooldownMs: 60_000 });
    await hook.deliver(notification({ task_id: 'opens-the-breaker' }));
    await expect(hook.watch('task-1')).rejects.toMatchObject({ reason: 'store_failed' });
    expect(watched).toBe(0);
  });
});

describe("a notification's automatic watch", () => {
  it('emits watch_dropped, with the task and context, when the store is full of watched tasks', async () => {
    const { hook, outcomes } = createHook(memoryStore({ max: 2 }));
    await hook.watch('task-1');
    await hook.watch('task-2');
    const delivered = notification({ task_id: 'task-3', status: 'processing' });
    expect(await hook.deliver(delivered)).toMatchObject({ status: 'handled' });
    expect(outcomes).toContainEqual({
      type: 'watch_dropped',
      taskId: 'task-3',
      reason: 'store_full',
      task: expect.objectContaining({ task_id: 'task-3' }),
      context: expect.objectContaining({ source: 'deliver' }),
    });
  });

  it('says nothing when the task is watched', async () => {
    const { hook, outcomes } = createHook(memoryStore({ max: 2 }));
    await hook.deliver(notification({ task_id: 'task-1', status: 'processing' }));
    expect(outcomes.map((outcome) => outcome.type)).toEqual(['accepted']);
  });
});
