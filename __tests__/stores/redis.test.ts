import { createClient } from 'redis';
import { Redis } from 'ioredis';
import request from 'supertest';
import express from 'express';
import { PiapiWebhookConfigError, PiapiWebhookStoreError, piapiWebhook, type PiapiTask, type WebhookOutcome } from '../../lib/index.js';
import { redisStore, type RedisClientLike } from '../../lib/redis.js';
import { settle } from '../helpers/apps.js';
import { notification, NOW_MS, NOW_S, SECRET } from '../helpers/notifications.js';
import { describeWithRedis, RedisServer } from '../helpers/redis-server.js';
import { eventually } from '../helpers/wait.js';

interface ClientKind {
  connect(url: string): Promise<RedisClientLike & { quit(): Promise<unknown>; ttl(key: string): Promise<number> }>;
}

const clients: Array<[string, ClientKind]> = [
  ['node-redis', { connect: async (url) => createClient({ url, socket: { reconnectStrategy: 50 } }).on('error', () => undefined).connect() }],
  ['ioredis', { connect: async (url) => new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 }).on('error', () => undefined) }],
];

/** Waits until the client has reconnected and answers commands. */
async function reachable(client: RedisClientLike): Promise<void> {
  const answers = () => client.del('piapi-webhook-test:probe').then(() => true, () => false);
  await eventually(answers, 'Redis to come back');
}

describe('redisStore setup', () => {
  it('refuses something that is not a Redis client', () => {
    expect(() => redisStore({} as RedisClientLike)).toThrow(PiapiWebhookConfigError);
    expect(() => redisStore({ set: async () => 'OK', del: async () => 1 })).toThrow('"redisStore.client"');
  });

  it('refuses a non-positive ttlSeconds', () => {
    const client = { set: async () => 'OK', del: async () => 1, isOpen: true };
    expect(() => redisStore(client, { ttlSeconds: 0 })).toThrow('"redisStore.ttlSeconds"');
  });
});

describeWithRedis.each(clients)('redisStore with %s', (_name, kind) => {
  let server: RedisServer;
  let client: Awaited<ReturnType<ClientKind['connect']>>;

  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(async () => {
    client = await kind.connect(server.url);
  });
  afterEach(async () => {
    await client.quit().catch(() => undefined);
  });

  it('claims a key once with SET NX EX, for the time asked, and releases it', async () => {
    const prefix = `claim${Math.random()}:`;
    const store = redisStore(client, { prefix });
    expect(await store.claim('k', 600)).toBe(true);
    expect(await store.claim('k', 600)).toBe(false);
    const ttl = await client.ttl(`${prefix}k`);
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
    await store.release('k');
    expect(await store.claim('k', 600)).toBe(true);
  });

  it('keeps a key for its own ttlSeconds when that is longer than asked', async () => {
    const prefix = `ttl${Math.random()}:`;
    await redisStore(client, { prefix, ttlSeconds: 7200 }).claim('k', 600);
    const ttl = await client.ttl(`${prefix}k`);
    expect(ttl).toBeGreaterThan(3600);
    expect(ttl).toBeLessThanOrEqual(7200);
    await redisStore(client, { prefix }).claim('short', 600);
    expect(await client.ttl(`${prefix}short`)).toBeLessThanOrEqual(600);
  });

  it('lets exactly one of two apps sharing Redis handle each delivery, however they interleave', async () => {
    const prefix = `shared${Math.random()}:`;
    const second = await kind.connect(server.url);
    try {
      const handled: string[] = [];
      const app = (store: ReturnType<typeof redisStore>) => {
        const instance = express();
        instance.post('/hook', piapiWebhook({ secret: SECRET, now: () => NOW_MS, store, onTask: (task) => void handled.push(deliveryOf(task)) }));
        return instance.listen(0);
      };
      const deliveryOf = (task: PiapiTask) => `${task.task_id}/${task.status}`;
      const servers = [app(redisStore(client, { prefix })), app(redisStore(second, { prefix }))];
      try {
        const deliveries = Array.from({ length: 40 }, (_, index) =>
          notification({ task_id: `task-${index % 10}`, status: index % 2 === 0 ? 'processing' : 'completed' }, NOW_S - (index % 2)),
        );
        // Every delivery three times, to both instances, all at once.
        const sends = deliveries.flatMap((body, index) =>
          [0, 1, 2].map((copy) =>
            request(servers[(index + copy) % 2]!)
              .post('/hook')
              .set('content-type', 'application/json')
              .set('x-webhook-secret', SECRET)
              .send(JSON.stringify(body)),
          ),
        );
        const statuses = (await Promise.all(sends)).map((response) => response.status);
        await settle();
        expect(statuses.every((status) => status === 200)).toBe(true);
        const unique = new Set(deliveries.map((body) => deliveryOf(body.data)));
        expect(handled.sort()).toEqual([...unique].sort());
      } finally {
        for (const instance of servers) instance.close();
      }
    } finally {
      await second.quit();
    }
  });

  it('handles deliveries while Redis is stopped, reports each failure, and dedupes again once it is back', async () => {
    const handled: string[] = [];
    const outcomes: WebhookOutcome[] = [];
    const errors: unknown[] = [];
    const app = express();
    app.post(
      '/hook',
      piapiWebhook({
        secret: SECRET,
        now: () => NOW_MS,
        store: redisStore(client, { prefix: `outage${Math.random()}:` }),
        storeTimeoutMs: 300,
        onTask: (task) => void handled.push(task.task_id),
        onOutcome: (outcome) => void outcomes.push(outcome),
        onError: (error) => void errors.push(error),
      }),
    );
    const send = (taskId: string) =>
      request(app).post('/hook').set('content-type', 'application/json').set('x-webhook-secret', SECRET).send(JSON.stringify(notification({ task_id: taskId })));

    expect((await send('before')).status).toBe(200);
    await server.stop();
    expect((await send('during')).status).toBe(200);
    await settle();
    expect(handled).toEqual(['before', 'during']);
    expect(outcomes.map((outcome) => outcome.type)).toEqual(['accepted', 'store_error', 'accepted']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(PiapiWebhookStoreError);

    await server.resume();
    await reachable(client);
    const errorsBefore = errors.length;
    expect((await send('after')).status).toBe(200);
    expect((await send('after')).status).toBe(200);
    await settle();
    expect(handled.filter((id) => id === 'after')).toEqual(['after']);
    expect(errors.length).toBe(errorsBefore);
  }, 30_000);
});
