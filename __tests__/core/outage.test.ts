/**
 * During a store outage, dedupe drops to this process, not to nothing; once the
 * store answers again, what was handled meanwhile is written to it (issue 18,
 * item 9). A store that can be switched off stands in for Redis here; the
 * Redis suite (`__tests__/stores/outage.test.ts`) runs the same story on a real server.
 */
import {
  memoryStore,
  piapiWebhook,
  type DedupeStore,
  type PiapiWebhookContext,
  type PiapiWebhookOptions,
  type WebhookOutcome,
} from '../../lib/index.js';
import { createOutageMemory } from '../../lib/core/outage-memory.js';
import { notification, NOW_MS, SECRET } from '../helpers/notifications.js';
import { eventually } from '../helpers/wait.js';

/** A memoryStore that fails every call while `down` is set, and says when it is back, as a Redis client's 'ready' does. */
function switchableStore() {
  const inner = memoryStore({ now: () => NOW_MS });
  const state = { down: false };
  const ready: Array<() => void> = [];
  const back = (): void => {
    state.down = false;
    for (const listener of ready) listener();
  };
  const guarded =
    <A extends unknown[], R>(method: (...args: A) => R) =>
    (...args: A): R | Promise<never> =>
      state.down ? Promise.reject(new Error('ECONNREFUSED')) : method(...args);
  const store: DedupeStore = {
    claim: guarded(inner.claim.bind(inner)),
    renew: guarded(inner.renew.bind(inner)),
    complete: guarded(inner.complete.bind(inner)),
    release: guarded(inner.release.bind(inner)),
    watch: guarded(inner.watch.bind(inner)),
    unwatch: guarded(inner.unwatch.bind(inner)),
    takeDueWatches: guarded(inner.takeDueWatches.bind(inner)),
    rescheduleWatch: guarded(inner.rescheduleWatch.bind(inner)),
    setReadyListener: (listener) => void ready.push(listener),
  };
  return { store, inner, state, back };
}

function createHook(store: DedupeStore, options: Partial<PiapiWebhookOptions> = {}) {
  const runs: Array<{ taskId: string; context: PiapiWebhookContext }> = [];
  const outcomes: WebhookOutcome[] = [];
  const hook = piapiWebhook({
    secret: SECRET,
    now: () => NOW_MS,
    store,
    storeTimeoutMs: 200,
    // Never over in a test: the store is used again when it says it is ready.
    storeCooldownMs: 600_000,
    onTask: (task, context) => void runs.push({ taskId: task.task_id, context }),
    onOutcome: (outcome) => void outcomes.push(outcome),
    onError: () => undefined,
    ...options,
  });
  return { hook, runs, outcomes };
}

describe('a store outage', () => {
  it('dedupes copies reaching this instance, and records them in the store once it answers again', async () => {
    const { store, inner, state, back } = switchableStore();
    const { hook, runs, outcomes } = createHook(store);
    const copy = notification({ task_id: 'during', status: 'completed' });
    state.down = true;
    expect(await hook.deliver(copy)).toMatchObject({ status: 'handled' });
    expect(await hook.deliver(copy)).toMatchObject({ status: 'duplicate' });
    expect(runs.map((run) => run.taskId)).toEqual(['during']);
    expect(inner.size).toBe(0);

    back();
    await eventually(() => inner.size === 1, 'the delivery handled during the outage to be recorded');
    // The store is used at once, not after the cooldown.
    const errorsBefore = outcomes.filter((outcome) => outcome.type === 'store_error').length;
    expect(await hook.deliver(notification({ task_id: 'after' }))).toMatchObject({ status: 'handled' });
    expect(inner.size).toBe(2);
    expect(await hook.deliver(copy)).toMatchObject({ status: 'duplicate' });
    expect(outcomes.filter((outcome) => outcome.type === 'store_error')).toHaveLength(errorsBefore);
    // Another instance on the same store finds it done.
    const other = createHook(store);
    expect(await other.hook.deliver(copy)).toMatchObject({ status: 'duplicate' });
    expect(inner.claim('anything', 'x', 1000)).toMatchObject({ state: 'claimed' });
    expect(runs.map((run) => run.taskId)).toEqual(['during', 'after']);
    expect(outcomes.filter((outcome) => outcome.type === 'duplicate')).toHaveLength(2);
  });

  it('answers a copy of a delivery still running during the outage as in progress, not as a new one', async () => {
    const { store, state } = switchableStore();
    let finish: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (finish = resolve));
    const { hook } = createHook(store, { onTask: () => running });
    state.down = true;
    const copy = notification({ task_id: 'slow', status: 'completed' });
    const first = hook.deliver(copy);
    await eventually(async () => (await hook.deliver(copy)).status === 'in_progress', 'the copy to meet the first');
    finish();
    expect(await first).toMatchObject({ status: 'handled' });
  });

  it('lets a copy retry a handler that failed during the outage, with the next attempt', async () => {
    const { store, state } = switchableStore();
    let failures = 1;
    const attempts: number[] = [];
    const { hook } = createHook(store, {
      onTask: (_task, context) => {
        attempts.push(context.attempt);
        if (failures-- > 0) throw new Error('database down');
      },
    });
    state.down = true;
    const copy = notification({ task_id: 'flaky', status: 'completed' });
    expect(await hook.deliver(copy)).toMatchObject({ status: 'failed' });
    expect(await hook.deliver(copy)).toMatchObject({ status: 'handled' });
    expect(await hook.deliver(copy)).toMatchObject({ status: 'duplicate' });
    expect(attempts).toEqual([1, 2]);
  });

  it('writes the watches asked for during the outage once the store is back, and unwatches the ends handled', async () => {
    const { store, inner, state, back } = switchableStore();
    const { hook } = createHook(store, {
      recovery: { apiKey: 'k', baseUrl: 'http://127.0.0.1:9', intervalSeconds: 0 },
    });
    state.down = true;
    await hook.deliver(notification({ task_id: 'running', status: 'processing' }));
    await hook.deliver(notification({ task_id: 'ended', status: 'completed' }));
    expect(inner.watching).toBe(0);
    back();
    await eventually(() => inner.size === 2, 'both deliveries to be recorded');
    expect(inner.takeDueWatches(Number.MAX_SAFE_INTEGER, 10, Number.MAX_SAFE_INTEGER)).toEqual([
      expect.objectContaining({ taskId: 'running' }),
    ]);
  });
});

describe('the outage memory', () => {
  it('is bounded: past its size, a delivery is taken without it', () => {
    const memory = createOutageMemory(2);
    expect(memory.take('a', 'o1', undefined)).toEqual({ state: 'claimed', attempt: 1 });
    expect(memory.take('b', 'o2', undefined)).toEqual({ state: 'claimed', attempt: 1 });
    expect(memory.take('c', 'o3', undefined)).toBeUndefined();
    memory.complete('a', 'o1', undefined);
    expect(memory.claim('a', 'o4')).toEqual({ state: 'done' });
    expect(memory.claim('b', 'o4')).toEqual({ state: 'in_progress' });
    expect(memory.claim('c', 'o4')).toBeUndefined();
    memory.forget('a');
    expect(memory.size).toBe(1);
  });
});
