import { createClient } from 'redis';
import { Redis } from 'ioredis';
import request from 'supertest';
import express from 'express';
import {
  PiapiWebhookConfigError,
  PiapiWebhookStoreError,
  piapiWebhook,
  type PiapiTask,
  type WebhookOutcome,
} from '../../lib/index.js';
import { redisStore, type RedisClientLike } from '../../lib/redis.js';
import { settle } from '../helpers/apps.js';
import { notification, NOW_MS, NOW_S, SECRET } from '../helpers/notifications.js';
import { describeWithRedis, RedisServer } from '../helpers/redis-server.js';
import { eventually } from '../helpers/wait.js';

interface TestClient {
  quit(): Promise<unknown>;
  ttl(key: string): Promise<number>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<unknown>;
  listenerCount(event: 'error'): number;
}

interface ClientKind {
  connect(url: string, options?: { errorListener?: boolean }): Promise<RedisClientLike & TestClient>;
}

const clients: Array<[string, ClientKind]> = [
  [
    'node-redis',
    {
      connect: async (url, { errorListener = true } = {}) => {
        const client = createClient({ url, socket: { reconnectStrategy: 50 } });
        if (errorListener) client.on('error', () => undefined);
        return await client.connect();
      },
    },
  ],
  [
    'ioredis',
    {
      connect: async (url, { errorListener = true } = {}) => {
        const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
        if (errorListener) client.on('error', () => undefined);
        await client.connect();
        return client;
      },
    },
  ],
];

/** Waits until the client has reconnected and answers commands. */
async function reachable(client: TestClient): Promise<void> {
  const answers = () =>
    client.del('piapi-webhook-test:probe').then(
      () => true,
      () => false,
    );
  await eventually(answers, 'Redis to come back');
}

/** Any command, on either client. */
function raw(client: RedisClientLike, args: string[]): Promise<unknown> {
  if (client.call !== undefined) return client.call(args[0]!, ...args.slice(1));
  return Promise.resolve(client.sendCommand!(args));
}

const LEASE_MS = 10_000;
const TTL_S = 600;

describe('redisStore setup', () => {
  it('refuses something that is not a Redis client', () => {
    expect(() => redisStore({})).toThrow(PiapiWebhookConfigError);
    expect(() => redisStore({ set: async () => 'OK' } as unknown as RedisClientLike)).toThrow('"redisStore.client"');
  });

  it('refuses a prefix that is not a string, and a clock that is not a function', () => {
    expect(() => redisStore({ call: async () => 'OK' }, { prefix: 1 as unknown as string })).toThrow(
      '"redisStore.prefix"',
    );
    expect(() => redisStore({ call: async () => 'OK' }, { now: 1 as unknown as () => number })).toThrow(
      '"redisStore.now"',
    );
  });
});

// Claims, leases, attempts, the watch list and TTLs: the store contract (contract.test.ts). Here, what only
// a Redis store has: its key layout, scripts that Redis forgets, outages, and instances sharing one Redis.
describeWithRedis.each(clients)('redisStore with %s', (_name, kind) => {
  let server: RedisServer;
  let client: Awaited<ReturnType<ClientKind['connect']>>;
  let prefix: string;

  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(async () => {
    client = await kind.connect(server.url);
    prefix = `test${Math.random()}:`;
  });
  afterEach(async () => {
    await client.quit().catch(() => undefined);
  });

  it('keeps a leased key for the dedupe TTL, with the lease inside its value, so an expired lease counts (issue 20)', async () => {
    let now = 1_800_000_000_000;
    const store = redisStore(client, { prefix, now: () => now });
    expect(await store.claim('k', 'a', LEASE_MS, undefined, TTL_S)).toEqual({ state: 'claimed', attempt: 1 });
    expect(await client.get(`${prefix}d:k`)).toBe(`L1:${now + LEASE_MS}:a`);
    expect(Number(await raw(client, ['PTTL', `${prefix}d:k`]))).toBeGreaterThan(LEASE_MS);
    now += LEASE_MS;
    expect(await store.claim('k', 'b', LEASE_MS, undefined, TTL_S)).toEqual({ state: 'claimed', attempt: 2 });
    expect(await store.complete('k', 'b', TTL_S)).toBe(true);
    expect(await client.get(`${prefix}d:k`)).toBe('D');
    expect(await client.ttl(`${prefix}d:k`)).toBeGreaterThan(TTL_S - 10);
  });

  it('honours a lease written by 0.1 (`L<attempts>:<owner>`, its lease as PX) until Redis expires it', async () => {
    const store = redisStore(client, { prefix });
    await raw(client, ['SET', `${prefix}d:old`, 'L1:0123456789abcdef.7', 'PX', '200']);
    expect(await store.claim('old', 'new', LEASE_MS, undefined, TTL_S)).toEqual({ state: 'in_progress' });
    expect(await store.complete('old', 'new', TTL_S)).toBe(false);
    await eventually(async () => (await client.get(`${prefix}d:old`)) === null, 'the old lease to expire');
    expect(await store.claim('old', 'new', LEASE_MS, undefined, TTL_S)).toEqual({ state: 'claimed', attempt: 1 });
  });

  it('writes the same lease whether a new key is claimed with a plain SET NX (no watch) or by the script (watching)', async () => {
    const now = 1_800_000_000_000;
    const store = redisStore(client, { prefix, now: () => now });
    expect(await store.claim('plain', 'a', LEASE_MS, undefined, TTL_S)).toEqual({ state: 'claimed', attempt: 1 });
    const watch = { taskId: 'task-1', dueAt: 2_000, now: 1_000 };
    expect(await store.claim('scripted', 'a', LEASE_MS, watch, TTL_S)).toEqual({ state: 'claimed', attempt: 1 });
    expect(await client.get(`${prefix}d:plain`)).toBe(await client.get(`${prefix}d:scripted`));
    // Either lease is the script's to judge from then on.
    expect(await store.claim('plain', 'b', LEASE_MS, watch, TTL_S)).toEqual({ state: 'in_progress' });
    expect(await store.release('plain', 'a', TTL_S)).toBe(true);
    expect(await store.claim('plain', 'b', LEASE_MS)).toEqual({ state: 'claimed', attempt: 2 });
  });

  it('hands a due task to one of two stores taking at once', async () => {
    const store = redisStore(client, { prefix });
    await store.watch('t', 100, 50);
    const [first, second] = await Promise.all([
      store.takeDueWatches(100, 10, 500),
      redisStore(client, { prefix }).takeDueWatches(100, 10, 500),
    ]);
    expect([...first, ...second]).toEqual([{ taskId: 't', watchedAt: 50, checks: 0 }]);
  });

  it('works again after Redis restarts and forgets its scripts', async () => {
    const store = redisStore(client, { prefix });
    await store.claim('before', 'o', LEASE_MS);
    await client.del('unrelated');
    await raw(client, ['SCRIPT', 'FLUSH']);
    expect(await store.claim('after', 'o', LEASE_MS)).toEqual({ state: 'claimed', attempt: 1 });
  });

  it("reports a client's connection errors through onError instead of crashing, when the app attached no listener", async () => {
    const bare = await kind.connect(server.url, { errorListener: false });
    const errors: unknown[] = [];
    piapiWebhook({
      secret: SECRET,
      onTask: () => undefined,
      store: redisStore(bare),
      onError: (error) => void errors.push(error),
    });
    expect(bare.listenerCount('error')).toBe(1);
    await server.stop();
    await eventually(() => errors.length > 0, 'the connection error to be reported');
    expect(errors[0]).toBeInstanceOf(PiapiWebhookStoreError);
    await server.resume();
    await reachable(client);
    // Closed once it is back: closing a client while it reconnects can leave ioredis reconnecting for ever.
    await reachable(bare);
    await bare.quit();
  }, 60_000);

  it('lets exactly one of two apps sharing Redis handle each delivery, however they interleave', async () => {
    const prefix = `shared${Math.random()}:`;
    const second = await kind.connect(server.url);
    try {
      const handled: string[] = [];
      const app = (store: ReturnType<typeof redisStore>) => {
        const instance = express();
        instance.post(
          '/hook',
          piapiWebhook({
            secret: SECRET,
            now: () => NOW_MS,
            store,
            onTask: (task) => void handled.push(deliveryOf(task)),
          }),
        );
        return instance.listen(0);
      };
      const deliveryOf = (task: PiapiTask) => `${task.task_id}/${task.status}`;
      const servers = [app(redisStore(client, { prefix })), app(redisStore(second, { prefix }))];
      try {
        const deliveries = Array.from({ length: 40 }, (_, index) =>
          notification(
            { task_id: `task-${index % 10}`, status: index % 2 === 0 ? 'processing' : 'completed' },
            NOW_S - (index % 2),
          ),
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
    const hook = piapiWebhook({
      secret: SECRET,
      now: () => NOW_MS,
      store: redisStore(client, { prefix: `outage${Math.random()}:` }),
      storeTimeoutMs: 300,
      // No cooldown to wait out in a test: dedupe is back as soon as Redis is.
      storeCooldownMs: 1,
      onTask: (task) => void handled.push(task.task_id),
      onOutcome: (outcome) => void outcomes.push(outcome),
      onError: (error) => void errors.push(error),
    });
    app.post('/hook', hook);
    const send = (taskId: string) =>
      request(app)
        .post('/hook')
        .set('content-type', 'application/json')
        .set('x-webhook-secret', SECRET)
        .send(JSON.stringify(notification({ task_id: taskId })));

    expect((await send('before')).status).toBe(200);
    // Its completion is recorded before Redis goes away.
    await hook.settled();
    await server.stop();
    expect((await send('during')).status).toBe(200);
    await hook.settled();
    expect(handled).toEqual(['before', 'during']);
    // The claim failed (handled anyway), then recording its completion failed too.
    expect(outcomes.map((outcome) => outcome.type)).toEqual(['accepted', 'store_error', 'accepted', 'store_error']);
    const storeErrors = outcomes.flatMap((outcome) => (outcome.type === 'store_error' ? [outcome.operation] : []));
    expect(storeErrors).toEqual(['claim', 'complete']);
    // onError hears of the outage at least once (once per cooldown, here 1 ms).
    expect(errors[0]).toBeInstanceOf(PiapiWebhookStoreError);
    expect(errors[0]).toMatchObject({ operation: 'claim' });

    await server.resume();
    await reachable(client);
    const errorsBefore = errors.length;
    expect((await send('after')).status).toBe(200);
    expect((await send('after')).status).toBe(200);
    await hook.settled();
    expect(handled.filter((id) => id === 'after')).toEqual(['after']);
    expect(errors.length).toBe(errorsBefore);
  }, 30_000);
});
