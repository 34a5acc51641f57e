/**
 * `reconcile(taskIds?, { deadlineMs, limit })`, as a cron on a serverless
 * platform calls it: against the fake PiAPI, on memoryStore and on a real
 * redis-server, with an injected clock that moves as get-task requests arrive.
 */
import { createClient } from 'redis';
import {
  PiapiWebhookConfigError,
  memoryStore,
  piapiWebhook,
  type DedupeStore,
  type PiapiTask,
  type WebhookOutcome,
} from '../../lib/index.js';
import { redisStore } from '../../lib/redis.js';
import { FakePiapi } from '../helpers/fake-piapi.js';
import { SECRET } from '../helpers/notifications.js';
import { describeWithRedis, RedisServer } from '../helpers/redis-server.js';

const API_KEY = 'fake-piapi-key';
/** Each get-task request moves the hooks' clock on this much: a slow PiAPI, without waiting. */
const PER_LOOKUP_MS = 3000;

let piapi: FakePiapi;
let base: number;
/** The clock: `base`, plus PER_LOOKUP_MS per get-task request PiAPI has seen. */
const now = (): number => base + piapi.getRequests.length * PER_LOOKUP_MS;

beforeEach(async () => {
  base = Date.now();
  piapi = await FakePiapi.start({ webhooks: false });
});
afterEach(async () => {
  await piapi.close();
});

function createHook(store: DedupeStore | undefined, recovery: { concurrency?: number; requestTimeoutMs?: number }) {
  const handled: string[] = [];
  const outcomes: WebhookOutcome[] = [];
  const hook = piapiWebhook({
    secret: SECRET,
    onTask: (task) => void handled.push(task.task_id),
    onOutcome: (outcome) => void outcomes.push(outcome),
    onError: () => undefined,
    now,
    ...(store === undefined ? {} : { store }),
    recovery: {
      apiKey: API_KEY,
      baseUrl: piapi.url,
      checkAfterSeconds: 1,
      intervalSeconds: 0,
      requestTimeoutMs: 2000,
      ...recovery,
    },
  });
  return { hook, handled, outcomes };
}

/** `count` tasks that have ended at PiAPI (their webhooks lost), watched, and due. */
async function endedAndWatched(hook: ReturnType<typeof createHook>['hook'], count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const task: PiapiTask = await piapi.createTask({ model: 'midjourney', task_type: 'imagine' });
    piapi.tasks.get(task.task_id)!.status = 'completed';
    piapi.tasks.get(task.task_id)!.output = { image_url: 'https://img.example.com/done.png' };
    await hook.watch(task.task_id);
    ids.push(task.task_id);
  }
  base += 1000;
  return ids;
}

const sorted = (ids: readonly string[]): string[] => [...ids].sort();

function limitsOn(storeName: string, makeStore: () => DedupeStore | Promise<DedupeStore>): void {
  describe(`reconcile limits on ${storeName}`, () => {
    it('starts no lookup that could not end by the deadline, and the next run takes the tasks left', async () => {
      const { hook, handled } = createHook(await makeStore(), { concurrency: 1 });
      const ids = await endedAndWatched(hook, 6);
      const started = now();
      // Lookups start at +0, +3 s and +6 s; one at +9 s could run to +11 s, past the 10 s deadline.
      const first = await hook.reconcile(undefined, { deadlineMs: 10_000 });
      expect(first).toMatchObject({ checked: 3, more: true, skipped: [] });
      expect(first.recovered).toHaveLength(3);
      expect(piapi.getRequests).toHaveLength(3);
      expect(now() - started).toBeLessThanOrEqual(10_000);

      // Untaken tasks were not pushed back: due at once, with the clock where it is.
      const second = await hook.reconcile(undefined, { deadlineMs: 10_000 });
      expect(second).toMatchObject({ checked: 3, more: false });
      expect(sorted([...first.recovered, ...second.recovered])).toEqual(sorted(ids));
      expect(sorted(handled)).toEqual(sorted(ids));
      expect(await hook.reconcile(undefined, { deadlineMs: 10_000 })).toMatchObject({ checked: 0, more: false });
    });

    it('takes at most limit tasks per run, says whether more are due, and leaves those due', async () => {
      const { hook, handled } = createHook(await makeStore(), { concurrency: 4 });
      const ids = await endedAndWatched(hook, 5);
      const first = await hook.reconcile(undefined, { limit: 2 });
      expect(first).toMatchObject({ checked: 2, more: true });
      const second = await hook.reconcile(undefined, { limit: 2 });
      expect(second).toMatchObject({ checked: 2, more: true });
      const third = await hook.reconcile(undefined, { limit: 2 });
      expect(third).toMatchObject({ checked: 1, more: false });
      const all = [...first.recovered, ...second.recovered, ...third.recovered];
      expect(sorted(all)).toEqual(sorted(ids));
      expect(piapi.getRequests).toHaveLength(5);
      expect(sorted(handled)).toEqual(sorted(ids));
    });

    it('says more: false when the limit is reached just as the due tasks run out', async () => {
      const { hook } = createHook(await makeStore(), { concurrency: 4 });
      await endedAndWatched(hook, 3);
      expect(await hook.reconcile(undefined, { limit: 3 })).toMatchObject({ checked: 3, more: false });
    });
  });
}

limitsOn('memoryStore', () => memoryStore({ now }));

describeWithRedis('on a real redis-server', () => {
  let server: RedisServer;
  const clients: Array<{ quit(): Promise<unknown> }> = [];
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    for (const client of clients) await client.quit();
    await server.stop();
  });
  let run = 0;
  limitsOn('redisStore', async () => {
    const client = createClient({ url: server.url });
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    run += 1;
    return redisStore(client, { prefix: `limits-${run}:` });
  });
});

describe('reconcile(ids, { limit, deadlineMs })', () => {
  it('checks ids up to the limit and returns the rest as skipped', async () => {
    const { hook } = createHook(undefined, { concurrency: 4 });
    const ids = await endedAndWatched(hook, 3);
    const report = await hook.reconcile(ids, { limit: 2 });
    expect(report).toMatchObject({ checked: 2, more: true, skipped: [ids[2]] });
    expect(await hook.reconcile(report.skipped)).toMatchObject({ checked: 1, more: false, skipped: [] });
  });

  it('abandons a lookup still running at the deadline (the client would go on retrying) and reports it failed', async () => {
    // The wall clock here, and a PiAPI that never answers.
    piapi.hangGets(10);
    const task = await piapi.createTask({ model: 'midjourney', task_type: 'imagine' });
    const id = task.task_id;
    const outcomes: WebhookOutcome[] = [];
    const wallClock = piapiWebhook({
      secret: SECRET,
      onTask: () => undefined,
      onOutcome: (outcome) => void outcomes.push(outcome),
      onError: () => undefined,
      recovery: { apiKey: API_KEY, baseUrl: piapi.url, intervalSeconds: 0, requestTimeoutMs: 1000, concurrency: 1 },
    });
    // Three attempts of 1 s each would take over 3 s; the deadline is 1.5 s.
    const report = await wallClock.reconcile([id], { deadlineMs: 1500 });
    expect(report).toMatchObject({ checked: 1, failed: [id], more: false });
    const failure = outcomes.find((outcome) => outcome.type === 'recovery_failed');
    expect(failure).toMatchObject({ taskId: id });
    expect(String((failure as { error?: Error }).error?.message)).toMatch(/before reconcile's deadline/);
  });
});

describe('reconcile options', () => {
  it.each([
    [{ deadlineMs: 0 }, 'reconcile.deadlineMs', /positive finite number/],
    [{ deadlineMs: 500 }, 'reconcile.deadlineMs', /recovery\.requestTimeoutMs: 2000 ms/],
    [{ limit: 1.5 }, 'reconcile.limit', /positive finite integer/],
    [{ limit: -1 }, 'reconcile.limit', /positive finite integer/],
    [{ deadline: 10 }, 'reconcile.deadline', /is not an option. Known options: deadlineMs, limit/],
    ['fast', 'reconcile', /options must be an object/],
  ])('refuses %p, naming %s', async (options, option, message) => {
    const { hook } = createHook(undefined, {});
    const refused = hook.reconcile(undefined, options as never);
    await expect(refused).rejects.toBeInstanceOf(PiapiWebhookConfigError);
    await expect(refused).rejects.toMatchObject({ option, code: 'ERR_PIAPI_WEBHOOK_OPTION', message });
  });

  it.each<[unknown]>([['t-1'], [['t-1', '']], [[42]]])('refuses task ids %p', async (taskIds) => {
    const { hook } = createHook(undefined, {});
    await expect(hook.reconcile(taskIds as readonly string[])).rejects.toMatchObject({ option: 'reconcile.taskIds' });
  });
});
