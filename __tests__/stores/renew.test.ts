/**
 * A lease whose key vanished (a Redis flush, an empty restart, a lease that ran
 * out unclaimed) is taken back by its running owner; only a key held by
 * another owner means the lease is lost (issue 18, item 8).
 */
import { createClient } from 'redis';
import { Redis } from 'ioredis';
import request from 'supertest';
import express from 'express';
import { memoryStore, piapiWebhook, type WebhookOutcome } from '../../lib/index.js';
import { redisStore, type RedisClientLike } from '../../lib/redis.js';
import { notification, SECRET } from '../helpers/notifications.js';
import { describeWithRedis, RedisServer } from '../helpers/redis-server.js';
import { eventually } from '../helpers/wait.js';

const LEASE_MS = 10_000;
const TTL_S = 600;

type Client = RedisClientLike & { quit(): Promise<unknown>; get(key: string): Promise<string | null> };

function raw(client: RedisClientLike, args: string[]): Promise<unknown> {
  if (client.call !== undefined) return client.call(args[0]!, ...args.slice(1));
  return Promise.resolve(client.sendCommand!(args));
}

describe('memoryStore renew', () => {
  it("takes back its owner's key once its lease ran out unclaimed, keeping the claim's attempt", () => {
    let now = 1_000_000;
    const store = memoryStore({ now: () => now });
    store.claim('k', 'owner', 1_000);
    now += 2_000;
    expect(store.renew('k', 'owner', 1_000, 3)).toBe(true);
    expect(store.claim('k', 'other', 1_000)).toEqual({ state: 'in_progress' });
    expect(store.release('k', 'owner', TTL_S)).toBe(true);
    expect(store.claim('k', 'other', 1_000)).toEqual({ state: 'claimed', attempt: 4 });
  });

  it('reports the lease lost only when another owner holds the key, or it is done', () => {
    let now = 1_000_000;
    const store = memoryStore({ now: () => now });
    store.claim('k', 'owner', 1_000);
    now += 2_000;
    store.claim('k', 'successor', 1_000);
    expect(store.renew('k', 'owner', 1_000)).toBe(false);
    store.complete('k', 'successor', TTL_S);
    expect(store.renew('k', 'owner', 1_000)).toBe(false);
  });
});

const clients: Array<[string, (url: string) => Promise<Client>]> = [
  [
    'node-redis',
    async (url) => {
      const client = createClient({ url, socket: { reconnectStrategy: 50 } });
      client.on('error', () => undefined);
      return await client.connect();
    },
  ],
  [
    'ioredis',
    async (url) => {
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
  ],
];

describeWithRedis.each(clients)('redisStore renew with %s', (_name, connect) => {
  let server: RedisServer;
  let client: Client;
  let prefix: string;

  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(async () => {
    client = await connect(server.url);
    prefix = `renew${Math.random()}:`;
  });
  afterEach(async () => {
    await client.quit().catch(() => undefined);
  });

  it('re-creates a flushed key for the same owner, with its attempt, so another owner finds it in progress', async () => {
    const store = redisStore(client, { prefix });
    await store.claim('k', 'owner', LEASE_MS);
    await raw(client, ['FLUSHALL']);
    expect(await store.renew('k', 'owner', LEASE_MS, 2)).toBe(true);
    expect(await client.get(`${prefix}d:k`)).toMatch(/^L2:\d+:owner$/);
    expect(Number(await raw(client, ['PTTL', `${prefix}d:k`]))).toBeGreaterThan(0);
    expect(await store.claim('k', 'other', LEASE_MS)).toEqual({ state: 'in_progress' });
  });

  it('reports the lease lost when another owner holds the key, or it is done or released', async () => {
    const store = redisStore(client, { prefix });
    await store.claim('held', 'other', LEASE_MS);
    expect(await store.renew('held', 'owner', LEASE_MS)).toBe(false);
    expect(await client.get(`${prefix}d:held`)).toMatch(/^L1:\d+:other$/);
    await store.claim('done', 'owner', LEASE_MS);
    await store.complete('done', 'owner', TTL_S);
    expect(await store.renew('done', 'owner', LEASE_MS)).toBe(false);
    await store.claim('freed', 'owner', LEASE_MS);
    await store.release('freed', 'owner', TTL_S);
    expect(await store.renew('freed', 'owner', LEASE_MS)).toBe(false);
  });

  it('keeps a running delivery from being run again by another instance after Redis is flushed', async () => {
    const prefix = `shared${Math.random()}:`;
    const second = await connect(server.url);
    try {
      const runs: string[] = [];
      const outcomes: WebhookOutcome[] = [];
      let finish: () => void = () => undefined;
      const running = new Promise<void>((resolve) => (finish = resolve));
      const instance = (store: ReturnType<typeof redisStore>, name: string) =>
        piapiWebhook({
          secret: SECRET,
          now: () => notification().timestamp * 1000,
          store,
          // 300 ms leases, renewed every 100 ms: a flush is noticed (and repaired) quickly.
          leaseSeconds: 0.3,
          onTask: async () => {
            runs.push(name);
            await running;
          },
          onOutcome: (outcome) => void outcomes.push(outcome),
          onError: () => undefined,
        });
      const first = instance(redisStore(client, { prefix }), 'first');
      const other = instance(redisStore(second, { prefix }), 'other');
      const body = JSON.stringify(notification({ task_id: 'flushed-task', status: 'completed' }));
      const send = (hook: ReturnType<typeof piapiWebhook>) =>
        request(express().post('/hook', hook))
          .post('/hook')
          .set('content-type', 'application/json')
          .set('x-webhook-secret', SECRET)
          .send(body);

      expect((await send(first)).status).toBe(200);
      await eventually(() => runs.length === 1, 'the first handler to start');
      const keys = (await raw(client, ['KEYS', `${prefix}d:*`])) as string[];
      expect(keys).toHaveLength(1);
      await raw(client, ['FLUSHALL']);
      // The next renewal puts the lease back.
      await eventually(async () => (await client.get(keys[0]!)) !== null, 'the lease to be taken back');
      expect((await send(other)).status).toBe(200);
      expect(outcomes.map((outcome) => outcome.type)).toEqual(['accepted', 'duplicate']);
      finish();
      await first.settled();
      await other.settled();
      expect(runs).toEqual(['first']);
    } finally {
      await second.quit();
    }
  });
});
