/**
 * upstashStore beyond the shared contract: its set-up errors, the NOSCRIPT
 * fallback through the real client's auto-pipelining, keys shared with
 * redisStore, and its round trips through a real Fetch handler, counted at the
 * Upstash REST bridge.
 */
import { Redis as UpstashRedis } from '@upstash/redis';
import { createClient } from 'redis';
import { piapiWebhookHandler } from '../../lib/fetch/index.js';
import { PiapiWebhookConfigError } from '../../lib/index.js';
import { redisStore } from '../../lib/redis.js';
import { isNoScript } from '../../lib/stores/script-store.js';
import { upstashStore, type UpstashRedisLike } from '../../lib/upstash.js';
import { post } from '../fetch/helpers.js';
import { notification, NOW_MS, SECRET } from '../helpers/notifications.js';
import { describeWithRedis, RedisServer } from '../helpers/redis-server.js';
import { UpstashBridge } from '../helpers/upstash-bridge.js';

const LEASE_MS = 10_000;
const TTL_S = 600;

describe('upstashStore setup', () => {
  it.each([
    [{}, 'upstashStore.client'],
    [{ evalsha: async () => 1 }, 'upstashStore.client'],
    [null, 'upstashStore.client'],
  ])('refuses %j as a client, naming the option', (client, option) => {
    expect(() => upstashStore(client as unknown as UpstashRedisLike)).toThrow(PiapiWebhookConfigError);
    expect(() => upstashStore(client as unknown as UpstashRedisLike)).toThrow(`"${option}"`);
  });

  it('refuses a prefix that is not a string and a clock that is not a function', () => {
    const client = new UpstashRedis({ url: 'http://127.0.0.1:1', token: 't' });
    expect(() => upstashStore(client, { prefix: 1 as unknown as string })).toThrow('"upstashStore.prefix"');
    expect(() => upstashStore(client, { now: 5 as unknown as () => number })).toThrow('"upstashStore.now"');
  });

  it('recognises NOSCRIPT however the client words it', () => {
    expect(isNoScript(new Error('NOSCRIPT No matching script. Please use EVAL.'))).toBe(true);
    // @upstash/redis with auto-pipelining (its default) wraps a failed command of the batch.
    expect(isNoScript(new Error('Command failed: NOSCRIPT No matching script. Please use EVAL.'))).toBe(true);
    expect(isNoScript(new Error('ERR unknown command'))).toBe(false);
    expect(isNoScript('NOSCRIPT')).toBe(false);
  });
});

describeWithRedis('upstashStore through the REST bridge', () => {
  let server: RedisServer;
  let bridge: UpstashBridge;
  let prefix: string;
  const client = (options: { enableAutoPipelining?: boolean } = {}) =>
    new UpstashRedis({ url: bridge.url, token: bridge.token, ...options });

  beforeAll(async () => {
    server = await RedisServer.start();
    bridge = await UpstashBridge.start(server.url);
  });
  afterAll(async () => {
    await bridge.close();
    await server.stop();
  });
  beforeEach(() => {
    prefix = `upstash${Math.random().toString(36).slice(2)}:`;
  });

  it('answers 401 to a client without the token', async () => {
    const intruder = new UpstashRedis({ url: bridge.url, token: 'wrong-token', retry: false });
    await expect(upstashStore(intruder, { prefix }).claim('k', 'o', LEASE_MS)).rejects.toThrow('Unauthorized');
  });

  it.each([true, false])(
    'falls back to EVAL once Redis has forgotten its scripts (auto-pipelining %s)',
    async (enableAutoPipelining) => {
      const store = upstashStore(client({ enableAutoPipelining }), { prefix });
      const watch = { taskId: 't', dueAt: 1, now: 0 };
      expect(await store.claim('before', 'o', LEASE_MS, watch, TTL_S)).toEqual({ state: 'claimed', attempt: 1 });
      await client().scriptFlush();
      expect(await store.claim('after', 'o', LEASE_MS, watch, TTL_S)).toEqual({ state: 'claimed', attempt: 1 });
      expect(await store.takeDueWatches(1, 10, 2)).toEqual([{ taskId: 't', watchedAt: 0, checks: 0 }]);
    },
  );

  describe('shares its keys with redisStore (TCP and REST on one database)', () => {
    let tcp: ReturnType<typeof createClient>;
    beforeAll(async () => {
      tcp = createClient({ url: server.url });
      await tcp.connect();
    });
    afterAll(async () => {
      await tcp.quit();
    });

    it('a delivery claimed through one is in progress, then done, through the other, both ways', async () => {
      const viaTcp = redisStore(tcp, { prefix });
      const viaRest = upstashStore(client(), { prefix });
      expect(await viaTcp.claim('a', 'tcp', LEASE_MS, undefined, TTL_S)).toEqual({ state: 'claimed', attempt: 1 });
      expect(await viaRest.claim('a', 'rest', LEASE_MS, undefined, TTL_S)).toEqual({ state: 'in_progress' });
      expect(await viaTcp.complete('a', 'tcp', TTL_S)).toBe(true);
      expect(await viaRest.claim('a', 'rest', LEASE_MS, undefined, TTL_S)).toEqual({ state: 'done' });

      expect(await viaRest.claim('b', 'rest', LEASE_MS, undefined, TTL_S)).toEqual({ state: 'claimed', attempt: 1 });
      expect(await viaTcp.claim('b', 'tcp', LEASE_MS, undefined, TTL_S)).toEqual({ state: 'in_progress' });
      expect(await viaRest.release('b', 'rest', TTL_S)).toBe(true);
      expect(await viaTcp.claim('b', 'tcp', LEASE_MS, undefined, TTL_S)).toEqual({ state: 'claimed', attempt: 2 });
    });

    it('a task watched through one is taken, rescheduled and unwatched through the other', async () => {
      const viaTcp = redisStore(tcp, { prefix });
      const viaRest = upstashStore(client(), { prefix });
      await viaRest.claim('k', 'rest', LEASE_MS, { taskId: '42', dueAt: 100, now: 50 }, TTL_S);
      await viaTcp.watch('from-tcp', 100, 60);
      expect(await viaTcp.takeDueWatches(100, 10, 1_000)).toEqual([
        { taskId: '42', watchedAt: 50, checks: 0 },
        { taskId: 'from-tcp', watchedAt: 60, checks: 0 },
      ]);
      expect(await viaRest.takeDueWatches(999, 10, 2_000)).toEqual([]);
      await viaTcp.rescheduleWatch('42', 600, 1);
      expect(await viaRest.takeDueWatches(600, 10, 900)).toEqual([{ taskId: '42', watchedAt: 50, checks: 1 }]);
      await viaRest.complete('k', 'rest', TTL_S, '42');
      await viaRest.unwatch('from-tcp');
      expect(await viaTcp.takeDueWatches(10_000, 10, 20_000)).toEqual([]);
    });
  });

  describe('round trips through a real Fetch handler, counted at the bridge', () => {
    /** A handler on upstashStore whose onTask waits for `open()`, so that requests can be counted before and after it. */
    function gatedHandler(recovery: boolean) {
      let open: () => void = () => undefined;
      let gate = Promise.resolve();
      /** Holds the next onTask until open(). */
      const hold = (): void => {
        gate = new Promise<void>((resolve) => (open = resolve));
      };
      const handled: string[] = [];
      const handle = piapiWebhookHandler({
        secret: SECRET,
        now: () => NOW_MS,
        store: upstashStore(client(), { prefix }),
        onTask: async (task) => {
          await gate;
          handled.push(task.task_id);
        },
        // No sweep timer: only deliveries reach the store.
        ...(recovery ? { recovery: { apiKey: 'k', baseUrl: 'http://127.0.0.1:1', intervalSeconds: 0 } } : {}),
      });
      return { handle, handled, hold, open: () => open() };
    }

    it.each([
      ['without recovery', false, 'processing'],
      ['with recovery (the claim watches the task)', true, 'processing'],
      ['with recovery, a terminal delivery (completion unwatches it)', true, 'completed'],
    ] as const)(
      '%s: a new delivery costs 1 request before the answer and 1 after the handler; a copy costs 1',
      async (_name, recovery, status) => {
        const { handle, handled, hold, open } = gatedHandler(recovery);
        // A first delivery loads the scripts into Redis (each script's first EVALSHA after a restart
        // or a SCRIPT FLUSH costs one more request, for EVAL): the counts below are the steady state's.
        await handle(post(notification({ task_id: `warm-up-${Math.random()}`, status })));
        await handle.settled();
        hold();
        const body = notification({ task_id: `task-${Math.random()}`, status });
        const before = bridge.total;

        expect((await handle(post(body))).status).toBe(200);
        expect(bridge.total - before).toBe(1);
        open();
        await handle.settled();
        expect(handled).toHaveLength(2);
        expect(bridge.total - before).toBe(2);

        expect((await handle(post(body))).status).toBe(200);
        await handle.settled();
        expect(handled).toHaveLength(2);
        expect(bridge.total - before).toBe(3);
      },
    );
  });
});
