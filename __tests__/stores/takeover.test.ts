/**
 * Issue 20, end to end in one process: an instance claims a delivery and dies in
 * its handler (its handler never settles, and its lease is never renewed again);
 * once the lease has expired, another instance sharing the store takes the
 * delivery over, by PiAPI's copy or by the recovery, and its onTask is told
 * `ctx.attempt === 2`. The fault suite checks the same with real processes
 * killed with SIGKILL.
 */
import { createClient } from 'redis';
import {
  memoryStore,
  type DedupeStore,
  type PiapiTask,
  type PiapiWebhookContext,
  type PiapiWebhookOptions,
} from '../../lib/index.js';
import { piapiWebhookHandler } from '../../lib/fetch/index.js';
import { redisStore } from '../../lib/redis.js';
import { post } from '../fetch/helpers.js';
import { FakePiapi } from '../helpers/fake-piapi.js';
import { NOW_MS, SECRET } from '../helpers/notifications.js';
import { describeWithRedis, RedisServer } from '../helpers/redis-server.js';
import { eventually } from '../helpers/wait.js';

const LEASE_SECONDS = 10;

/** A store as a dead instance sees it: it claims, but will never renew its lease again. */
function dying(store: DedupeStore): DedupeStore {
  return { ...store, renew: () => false };
}

function takeoverCases(name: string, createStore: (now: () => number) => DedupeStore | Promise<DedupeStore>): void {
  describe(`${name}: a delivery whose owner died is taken over as attempt 2`, () => {
    let now: number;
    let piapi: FakePiapi;
    beforeEach(async () => {
      now = NOW_MS;
      piapi = await FakePiapi.start({ webhooks: false });
    });
    afterEach(async () => {
      await piapi.close();
    });

    function instance(store: DedupeStore, onTask: PiapiWebhookOptions['onTask'], recovery = false) {
      return piapiWebhookHandler({
        secret: SECRET,
        now: () => now,
        store,
        leaseSeconds: LEASE_SECONDS,
        onTask,
        onError: () => undefined,
        // The dead instance's keeper goes on finding its lease lost after the test: nothing to print.
        logger: { warn: () => undefined, error: () => undefined },
        ...(recovery
          ? { recovery: { apiKey: 'fake-piapi-key', baseUrl: piapi.url, checkAfterSeconds: 1, intervalSeconds: 0 } }
          : {}),
      });
    }

    async function createTask(): Promise<PiapiTask> {
      const task = await piapi.createTask({
        model: 'midjourney',
        task_type: 'imagine',
        config: { webhook_config: { endpoint: 'http://127.0.0.1:9/unreachable', secret: SECRET } },
      });
      const stored = piapi.tasks.get(task.task_id)!;
      stored.status = 'completed';
      stored.output = { image_url: 'https://img.example.com/done.png' };
      return stored;
    }

    it.each([
      ['by PiAPI’s copy', false],
      ['by the recovery', true],
    ])('%s', async (_name, recovery) => {
      const shared = await createStore(() => now);
      const started: Array<{ instance: string; context: PiapiWebhookContext }> = [];
      const task = await createTask();
      // The first instance dies inside its handler: it never settles, and the lease is never renewed.
      const first = instance(
        dying(shared),
        (_task, context) => {
          started.push({ instance: 'first', context });
          return new Promise(() => undefined);
        },
        recovery,
      );
      if (recovery) await first.watch(task.task_id);
      const body = { timestamp: Math.floor(now / 1000), data: task };
      expect((await first(post(body))).status).toBe(200);
      await eventually(() => started.length === 1, 'the first handler to start');
      expect(started[0]!.context.attempt).toBe(1);

      const second = instance(shared, (_task, context) => void started.push({ instance: 'second', context }), recovery);
      // Inside the lease, the copy is a duplicate, and nothing is due for the recovery.
      if (recovery) expect(await second.reconcile()).toMatchObject({ recovered: [] });
      else expect((await second(post(body))).headers.get('x-piapi-webhook-outcome')).toBe('duplicate');
      now += LEASE_SECONDS * 1000 + 1;
      if (recovery) expect(await second.reconcile()).toMatchObject({ recovered: [task.task_id] });
      else expect((await second(post(body))).headers.get('x-piapi-webhook-outcome')).toBe('accepted');
      await second.settled();
      expect(started.map((start) => [start.instance, start.context.source, start.context.attempt])).toEqual([
        ['first', 'webhook', 1],
        ['second', recovery ? 'recovery' : 'webhook', 2],
      ]);
    });
  });
}

takeoverCases('memoryStore', (now) => memoryStore({ now }));

describeWithRedis('on a real redis-server', () => {
  let server: RedisServer;
  let client: ReturnType<typeof createClient>;
  beforeAll(async () => {
    server = await RedisServer.start();
    client = createClient({ url: server.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.quit();
    await server.stop();
  });
  takeoverCases('redisStore', (now) => redisStore(client, { prefix: `takeover${Math.random()}:`, now }));
});
