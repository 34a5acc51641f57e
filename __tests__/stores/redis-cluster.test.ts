/**
 * redisStore on a real 3-node Redis Cluster (issue 21), through a node-redis
 * cluster (`createCluster`) and an ioredis `Cluster`. The behaviour cases are one
 * function of a store factory, so that they run the same on either client.
 */
import { createCluster } from 'redis';
import { Cluster } from 'ioredis';
import express from 'express';
import request from 'supertest';
import {
  PiapiWebhookStoreError,
  piapiWebhook,
  type DedupeStore,
  type PiapiTask,
  type WebhookOutcome,
} from '../../lib/index.js';
import { redisStore, type RedisStoreOptions } from '../../lib/redis.js';
import { describeWithRedisCluster, RedisCluster } from '../helpers/redis-cluster.js';
import { describeStoreContract } from './contract.js';
import { notification, NOW_MS, NOW_S, SECRET } from '../helpers/notifications.js';
import { eventually } from '../helpers/wait.js';

const LEASE_MS = 10_000;
const TTL_S = 600;

/** A fresh store on the cluster; `prefix` is the user's own, or the default when absent. */
type MakeStore = (options?: RedisStoreOptions) => DedupeStore;

let unique = 0;
/** A name no other case uses: the cases share one cluster. */
const fresh = (what: string): string => `${what}-${process.pid}-${(unique += 1)}`;

/**
 * What a store must do on a cluster client: every step of a delivery, each touching
 * a delivery key and the watch keys at once, with the default prefix and the user's.
 * @param name - the client, for the test names
 * @param makeStore - makes a store on a connected cluster client
 */
export function describeRedisClusterStoreCases(name: string, makeStore: MakeStore): void {
  describe(`redisStore on a Redis Cluster through ${name}`, () => {
    it.each([
      ['the default prefix', undefined],
      ["the user's prefix", 'myapp:'],
      ['a prefix with its own hash tag', '{tenant-7}:piapi:'],
    ])('claims with a watch, hands the watch to one taker, and completes with an unwatch (%s)', async (_p, prefix) => {
      const store = makeStore(prefix === undefined ? {} : { prefix });
      const other = makeStore(prefix === undefined ? {} : { prefix });
      const [key, taskId] = [fresh('k'), fresh('task')];
      // Far in the future: no other case's watch is due by then, and this one is due at once.
      const now = 4_000_000_000_000 + unique;
      expect(await store.claim(key, 'a', LEASE_MS, { taskId, dueAt: now, now })).toEqual({
        state: 'claimed',
        attempt: 1,
      });
      expect(await other.claim(key, 'b', LEASE_MS, { taskId, dueAt: now, now })).toEqual({ state: 'in_progress' });
      const [first, second] = await Promise.all([
        store.takeDueWatches(now, 100, now + 1000),
        other.takeDueWatches(now, 100, now + 1000),
      ]);
      expect([...first, ...second].filter((watch) => watch.taskId === taskId)).toEqual([
        { taskId, watchedAt: now, checks: 0 },
      ]);
      expect(await store.complete(key, 'a', TTL_S, taskId)).toBe(true);
      expect(await other.claim(key, 'b', LEASE_MS)).toEqual({ state: 'done' });
      const later = await store.takeDueWatches(now + 10_000, 100, now + 20_000);
      expect(later.filter((watch) => watch.taskId === taskId)).toEqual([]);
    });

    it("lets only the owner renew or release, and counts attempts across a release (the user's prefix)", async () => {
      const store = makeStore({ prefix: 'myapp:' });
      const key = fresh('k');
      expect(await store.claim(key, 'owner', LEASE_MS)).toEqual({ state: 'claimed', attempt: 1 });
      expect(await store.renew(key, 'intruder', LEASE_MS)).toBe(false);
      expect(await store.release(key, 'intruder', TTL_S)).toBe(false);
      expect(await store.complete(key, 'intruder', TTL_S)).toBe(false);
      expect(await store.renew(key, 'owner', LEASE_MS)).toBe(true);
      expect(await store.release(key, 'owner', TTL_S)).toBe(true);
      // The key exists now: the claim goes through the script, with a watch (three keys, one slot).
      const watch = { taskId: fresh('task'), dueAt: 5_000_000_000_000, now: 1 };
      expect(await store.claim(key, 'next', LEASE_MS, watch)).toEqual({ state: 'claimed', attempt: 2 });
      expect(await store.complete(key, 'next', TTL_S, watch.taskId)).toBe(true);
    });

    it("frees a dead owner's key when its lease expires", async () => {
      const store = makeStore({ prefix: 'myapp:' });
      const key = fresh('k');
      await store.claim(key, 'crashed', 50);
      await eventually(
        async () => (await store.claim(key, 'successor', LEASE_MS)).state === 'claimed',
        'the lease to expire',
      );
      expect(await store.renew(key, 'successor', LEASE_MS)).toBe(true);
    });

    it('watches, reschedules and unwatches a task without a claim', async () => {
      const store = makeStore({ prefix: 'myapp:' });
      const taskId = fresh('task');
      const now = 6_000_000_000_000 + unique;
      await store.watch(taskId, now, 7);
      const mine = async (at: number) =>
        (await store.takeDueWatches(at, 100, at + 500)).filter((watch) => watch.taskId === taskId);
      expect(await mine(now)).toEqual([{ taskId, watchedAt: 7, checks: 0 }]);
      await store.rescheduleWatch(taskId, now + 1000, 1);
      expect(await mine(now + 999)).toEqual([]);
      expect(await mine(now + 1000)).toEqual([{ taskId, watchedAt: 7, checks: 1 }]);
      await store.unwatch(taskId);
      expect(await mine(now + 100_000)).toEqual([]);
    });

    it('lets exactly one of many concurrent claims of a delivery win, from two stores', async () => {
      const stores = [makeStore({ prefix: 'myapp:' }), makeStore({ prefix: 'myapp:' })];
      for (let round = 0; round < 5; round += 1) {
        const key = fresh('k');
        const watch = round % 2 === 0 ? undefined : { taskId: fresh('task'), dueAt: 1, now: 1 };
        const results = await Promise.all(
          Array.from({ length: 10 }, async (_, index) =>
            stores[index % 2]!.claim(key, `owner-${index}`, LEASE_MS, watch),
          ),
        );
        expect(results.filter((result) => result.state === 'claimed')).toEqual([{ state: 'claimed', attempt: 1 }]);
      }
    });

    it('lets exactly one of two apps with recovery on handle each delivery, and keeps watching only the task not ended', async () => {
      const prefix = `${fresh('apps')}:`;
      const handled: string[] = [];
      const outcomes: WebhookOutcome[] = [];
      const deliveryOf = (task: PiapiTask) => `${task.task_id}/${task.status}`;
      const hooks = [makeStore({ prefix }), makeStore({ prefix })].map((store) =>
        piapiWebhook({
          secret: SECRET,
          now: () => NOW_MS,
          store,
          // Every claim then carries a watch, and every completion of an end an unwatch: three keys a step.
          recovery: { apiKey: 'unused', baseUrl: 'http://127.0.0.1:9', intervalSeconds: 0 },
          onTask: (task) => void handled.push(deliveryOf(task)),
          onOutcome: (outcome) => void outcomes.push(outcome),
        }),
      );
      const apps = hooks.map((hook) => express().post('/hook', hook));
      const taskIds = Array.from({ length: 8 }, () => fresh('task'));
      const running = fresh('task');
      const deliveries = [
        ...taskIds.flatMap((task_id) =>
          (['processing', 'completed'] as const).map((status, index) =>
            notification({ task_id, status }, NOW_S - 1 + index),
          ),
        ),
        // A task that has not ended: it stays watched.
        notification({ task_id: running, status: 'processing' }),
      ];
      // Every delivery three times, to both apps, all at once.
      const sends = deliveries.flatMap((body, index) =>
        [0, 1, 2].map((copy) =>
          request(apps[(index + copy) % 2]!)
            .post('/hook')
            .set('content-type', 'application/json')
            .set('x-webhook-secret', SECRET)
            .send(JSON.stringify(body)),
        ),
      );
      const statuses = (await Promise.all(sends)).map((response) => response.status);
      await Promise.all(hooks.map((hook) => hook.settled()));
      expect(statuses.every((status) => status === 200)).toBe(true);
      expect(outcomes.filter((outcome) => outcome.type === 'store_error')).toEqual([]);
      expect(handled.sort()).toEqual(deliveries.map((body) => deliveryOf(body.data)).sort());
      const stillWatched = await makeStore({ prefix }).takeDueWatches(Number.MAX_SAFE_INTEGER, 100, 0);
      expect(stillWatched.map((watch) => watch.taskId)).toEqual([running]);
    });

    it('keeps stores with different prefixes apart', async () => {
      const key = fresh('k');
      expect(await makeStore({ prefix: 'one:' }).claim(key, 'a', LEASE_MS)).toEqual({ state: 'claimed', attempt: 1 });
      expect(await makeStore({ prefix: 'two:' }).claim(key, 'a', LEASE_MS)).toEqual({ state: 'claimed', attempt: 1 });
    });
  });
}

describeWithRedisCluster('redisStore on a real 3-node Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await RedisCluster.start();
  });
  afterAll(async () => {
    await cluster.stop();
  });

  describe('with node-redis createCluster', () => {
    let client: ReturnType<typeof createCluster>;
    beforeAll(async () => {
      client = createCluster({ rootNodes: cluster.urls.map((url) => ({ url })) });
      client.on('error', () => undefined);
      await client.connect();
    });
    afterAll(async () => {
      await client.close();
    });
    describeRedisClusterStoreCases('node-redis', (options) => redisStore(client, options));
    describeStoreContract('redisStore on a node-redis cluster', {
      create: (now) => redisStore(client, { prefix: `contract${Math.random().toString(36).slice(2)}:`, now }),
    });

    it('writes the keys of the cluster layout, all in one hash slot', async () => {
      const store = redisStore(client, { prefix: 'layout:' });
      const [key, taskId] = [fresh('k'), fresh('task')];
      await store.claim(key, 'a', LEASE_MS, { taskId, dueAt: 1, now: 1 });
      expect(await client.get(`{layout}:d:${key}`)).toMatch(/^L1:\d+:a$/);
      expect(await client.get(`layout:d:${key}`)).toBeNull();
      expect(await client.zScore('{layout}:watch:due', taskId)).toBe(1);
      expect(await client.hGet('{layout}:watch:info', taskId)).toBe('1:0');
      const slots = await Promise.all(
        [`{layout}:d:${key}`, '{layout}:d:other', '{layout}:watch:due', '{layout}:watch:info'].map((name) =>
          cluster.keySlot(name),
        ),
      );
      expect(new Set(slots).size).toBe(1);
    });
  });

  describe('with an ioredis Cluster', () => {
    let client: Cluster;
    beforeAll(async () => {
      client = new Cluster(cluster.hosts, { lazyConnect: true, redisOptions: { maxRetriesPerRequest: 1 } });
      client.on('error', () => undefined);
      await client.connect();
    });
    afterAll(async () => {
      await client.quit();
    });
    describeRedisClusterStoreCases('ioredis', (options) => redisStore(client, options));
    describeStoreContract('redisStore on an ioredis Cluster', {
      create: (now) => redisStore(client, { prefix: `contract${Math.random().toString(36).slice(2)}:`, now }),
    });

    it('writes the same keys as node-redis does', async () => {
      const store = redisStore(client, { prefix: 'layout:' });
      const key = fresh('k');
      await store.claim(key, 'a', LEASE_MS);
      expect(await client.get(`{layout}:d:${key}`)).toMatch(/^L1:\d+:a$/);
    });
  });

  // Last: it stops a node, and waits for the cluster to be whole again before it ends.
  describe.each([
    [
      'node-redis',
      async () => {
        const client = createCluster({
          rootNodes: cluster.urls.map((url) => ({ url })),
          defaults: { socket: { reconnectStrategy: 50 } },
        });
        await client.connect();
        return { client: client, close: () => client.close() };
      },
    ],
    [
      'ioredis',
      async () => {
        const client = new Cluster(cluster.hosts, {
          lazyConnect: true,
          clusterRetryStrategy: () => 50,
          redisOptions: { maxRetriesPerRequest: 1 },
        });
        await client.connect();
        return { client: client, close: () => client.quit() };
      },
    ],
  ])('with the node of the store down, through %s', (_name, connect) => {
    it("handles deliveries without dedupe, reports it without crashing (no app 'error' listener), and dedupes again once the node is back", async () => {
      const prefix = `${fresh('outage')}:`;
      const index = await cluster.nodeOf(`{${prefix.slice(0, -1)}}:watch:due`);
      const { client, close } = await connect();
      const handled: string[] = [];
      const outcomes: WebhookOutcome[] = [];
      const errors: unknown[] = [];
      const store = redisStore(client, { prefix });
      const hook = piapiWebhook({
        secret: SECRET,
        now: () => NOW_MS,
        store,
        storeTimeoutMs: 300,
        // No cooldown to wait out in a test: dedupe is back as soon as the node is.
        storeCooldownMs: 1,
        onTask: (task) => void handled.push(task.task_id),
        onOutcome: (outcome) => void outcomes.push(outcome),
        onError: (error) => void errors.push(error),
      });
      const app = express().post('/hook', hook);
      const send = async (taskId: string) => {
        const response = await request(app)
          .post('/hook')
          .set('content-type', 'application/json')
          .set('x-webhook-secret', SECRET)
          .send(JSON.stringify(notification({ task_id: taskId })));
        await hook.settled();
        return response.status;
      };
      try {
        expect(await send('before')).toBe(200);
        await cluster.stopNode(index);
        expect(await send('during')).toBe(200);
        expect(handled).toEqual(['before', 'during']);
        const failed = outcomes.flatMap((outcome) => (outcome.type === 'store_error' ? [outcome.operation] : []));
        expect(failed).toContain('claim');
        await eventually(() => errors.length > 0, 'the outage to be reported');
        expect(errors[0]).toBeInstanceOf(PiapiWebhookStoreError);

        await cluster.resumeNode(index);
        const answers = () =>
          Promise.race([
            Promise.resolve(store.claim(fresh('probe'), 'probe', LEASE_MS)).then(
              () => true,
              () => false,
            ),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000)),
          ]);
        await eventually(answers, 'the store to answer again', 60_000);
        const errorsBefore = errors.length;
        expect(await send('after')).toBe(200);
        expect(await send('after')).toBe(200);
        expect(handled.filter((id) => id === 'after')).toEqual(['after']);
        expect(errors.length).toBe(errorsBefore);
      } finally {
        await close();
      }
    });
  });

  it('spreads the three master nodes over every slot, so a layout without a hash tag would cross slots', async () => {
    // The setting the issue reported: with the keys of a single node, a claim that watches touches two slots.
    const slots = await Promise.all(
      ['piapi-webhook:d:k', 'piapi-webhook:watch:due', 'piapi-webhook:watch:info'].map((name) => cluster.keySlot(name)),
    );
    expect(new Set(slots).size).toBeGreaterThan(1);
  });
});
