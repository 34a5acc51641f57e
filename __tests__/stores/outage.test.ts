/**
 * A Redis outage, on a real redis-server stopped and started again (issue 18,
 * item 9): copies reaching one instance during the outage are still deduped;
 * once Redis is back (its client says 'ready', long before storeCooldownMs
 * ends), the deliveries handled meanwhile are recorded in it, so that neither
 * a later copy, another instance, nor the recovery runs them again.
 */
import { createClient } from 'redis';
import { Redis } from 'ioredis';
import request from 'supertest';
import express from 'express';
import { piapiWebhook, type PiapiTask, type PiapiWebhookOptions, type WebhookOutcome } from '../../lib/index.js';
import { redisStore, type RedisClientLike } from '../../lib/redis.js';
import { FakePiapi } from '../helpers/fake-piapi.js';
import { SECRET } from '../helpers/notifications.js';
import { describeWithRedis, RedisServer } from '../helpers/redis-server.js';
import { eventually } from '../helpers/wait.js';

type Client = RedisClientLike & { quit(): Promise<unknown>; get(key: string): Promise<string | null> };

function raw(client: RedisClientLike, args: string[]): Promise<unknown> {
  if (client.call !== undefined) return client.call(args[0]!, ...args.slice(1));
  return Promise.resolve(client.sendCommand!(args));
}

/** Whether the client answers commands again. */
const answers = (client: Client): Promise<boolean> =>
  raw(client, ['PING']).then(
    () => true,
    () => false,
  );

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

describeWithRedis.each(clients)('a Redis outage with %s', (_name, connect) => {
  let server: RedisServer;
  let piapi: FakePiapi;
  const opened: Client[] = [];

  beforeEach(async () => {
    server = await RedisServer.start();
    piapi = await FakePiapi.start({ webhooks: false });
  });
  afterEach(async () => {
    // Closed while Redis is up: closing a client mid-reconnect can leave ioredis reconnecting for ever.
    for (const client of opened.splice(0)) await client.quit().catch(() => undefined);
    await server.stop();
    await piapi.close();
  });

  async function instance(prefix: string, options: Partial<PiapiWebhookOptions> = {}) {
    const client = await connect(server.url);
    opened.push(client);
    const runs: string[] = [];
    const outcomes: WebhookOutcome[] = [];
    const hook = piapiWebhook({
      secret: SECRET,
      store: redisStore(client, { prefix }),
      storeTimeoutMs: 300,
      // Far longer than the test: the store is used again because its client says it is ready.
      storeCooldownMs: 600_000,
      onTask: (task) => void runs.push(task.task_id),
      onOutcome: (outcome) => void outcomes.push(outcome),
      onError: () => undefined,
      recovery: { apiKey: 'fake-piapi-key', baseUrl: piapi.url, intervalSeconds: 0 },
      ...options,
    });
    const send = (data: PiapiTask, timestamp: number) =>
      request(express().post('/hook', hook))
        .post('/hook')
        .set('content-type', 'application/json')
        .set('x-webhook-secret', SECRET)
        .send(JSON.stringify({ timestamp, data }));
    return { client, hook, runs, outcomes, send };
  }

  it('dedupes copies on this instance during the outage, then records them, so nothing runs them again', async () => {
    const prefix = `outage${Math.random()}:`;
    const first = await instance(prefix);
    const created = await piapi.createTask({ model: 'midjourney', task_type: 'imagine' });
    const task = piapi.tasks.get(created.task_id)!;
    task.status = 'completed';
    task.output = { image_url: 'https://img.example.com/done.png' };
    const timestamp = Math.floor(Date.now() / 1000);

    await server.stop();
    expect((await first.send(task, timestamp)).status).toBe(200);
    expect((await first.send(task, timestamp)).status).toBe(200);
    await first.hook.settled();
    expect(first.runs).toEqual([task.task_id]);
    expect(first.outcomes.filter((outcome) => outcome.type === 'duplicate')).toHaveLength(1);

    await server.resume();
    await eventually(() => answers(first.client), 'the client to reconnect');
    // The delivery handled during the outage is written to Redis as done, without waiting for a new delivery.
    await eventually(
      async () => ((await raw(first.client, ['KEYS', `${prefix}d:*`])) as string[]).length === 1,
      'the outage delivery to be recorded in Redis',
    );
    const [key] = (await raw(first.client, ['KEYS', `${prefix}d:*`])) as string[];
    expect(await first.client.get(key!)).toBe('D');

    // A copy just after Redis came back, on this instance and on another one, and the recovery: none runs it.
    const errorsBefore = first.outcomes.filter((outcome) => outcome.type === 'store_error').length;
    expect((await first.send(task, timestamp)).status).toBe(200);
    const second = await instance(prefix);
    expect((await second.send(task, timestamp)).status).toBe(200);
    expect(await first.hook.reconcile([task.task_id])).toMatchObject({ alreadyHandled: [task.task_id] });
    await first.hook.settled();
    await second.hook.settled();
    expect([...first.runs, ...second.runs]).toEqual([task.task_id]);
    // Redis answered those: the breaker closed when the client said it was ready, not after storeCooldownMs.
    expect(first.outcomes.filter((outcome) => outcome.type === 'store_error')).toHaveLength(errorsBefore);
  });

  it('dedupes copies during a pause (no ready signal), and records them at the first answer after the cooldown', async () => {
    const prefix = `paused${Math.random()}:`;
    const first = await instance(prefix, { storeCooldownMs: 500 });
    const created = await piapi.createTask({ model: 'midjourney', task_type: 'imagine' });
    const task = piapi.tasks.get(created.task_id)!;
    task.status = 'failed';
    const timestamp = Math.floor(Date.now() / 1000);
    const outcome = async (app: typeof first) => (await app.send(task, timestamp)).headers['x-piapi-webhook-outcome'];

    server.pause();
    try {
      expect(await outcome(first)).toBe('accepted');
      expect(await outcome(first)).toBe('duplicate');
      await first.hook.settled();
    } finally {
      server.unpause();
    }
    await eventually(() => answers(first.client), 'Redis to answer again');
    // A copy just after Redis came back: answered from this instance's memory.
    expect(await outcome(first)).toBe('duplicate');
    // The sweep asks Redis by itself; its first answer after the cooldown records the delivery.
    const recorded = async (): Promise<boolean> => {
      await first.hook.reconcile();
      const keys = (await raw(first.client, ['KEYS', `${prefix}d:*`])) as string[];
      return keys.length === 1 && (await first.client.get(keys[0]!)) === 'D';
    };
    await eventually(recorded, 'the delivery handled during the pause to be recorded in Redis');
    const second = await instance(prefix);
    expect(await outcome(second)).toBe('duplicate');
    expect(await first.hook.reconcile([task.task_id])).toMatchObject({ alreadyHandled: [task.task_id] });
    await second.hook.settled();
    expect([...first.runs, ...second.runs]).toEqual([task.task_id]);
  });

  it('uses Redis again as soon as its client is ready, for a delivery never seen before', async () => {
    const prefix = `ready${Math.random()}:`;
    const app = await instance(prefix);
    const created = await piapi.createTask({ model: 'midjourney', task_type: 'imagine' });
    const timestamp = Math.floor(Date.now() / 1000);
    await server.stop();
    expect((await app.send({ ...created, task_id: 'during' }, timestamp)).status).toBe(200);
    await app.hook.settled();
    await server.resume();
    await eventually(() => answers(app.client), 'the client to reconnect');
    await eventually(
      async () => ((await raw(app.client, ['KEYS', `${prefix}d:*`])) as string[]).length === 1,
      'the outage delivery to be recorded in Redis',
    );
    const errorsBefore = app.outcomes.filter((outcome) => outcome.type === 'store_error').length;
    expect((await app.send({ ...created, task_id: 'after' }, timestamp)).status).toBe(200);
    await app.hook.settled();
    expect(app.outcomes.filter((outcome) => outcome.type === 'store_error')).toHaveLength(errorsBefore);
    expect((await raw(app.client, ['KEYS', `${prefix}d:*`])) as string[]).toHaveLength(2);
  });
});
