import { createHash } from 'node:crypto';
import type { ClaimResult, DedupeStore, WatchedTask } from '../core/dedupe.js';
import { DEFAULTS } from '../core/defaults.js';
import { PiapiWebhookConfigError } from '../core/errors.js';
import { describe } from '../core/option-checks.js';
import * as scripts from './redis-scripts.js';

/**
 * The part of a Redis client this store uses: a node-redis (`redis` v4+) client,
 * recognised by `sendCommand`, or an `ioredis` client, recognised by `call`.
 * Typed loosely on purpose: both libraries' own overloads must fit.
 */
export interface RedisClientLike {
  // `any` at this boundary only: both clients' overloaded signatures must fit.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  sendCommand?(args: any): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call?(command: string, ...args: any[]): Promise<unknown>;
  on?(event: 'error', listener: (error: unknown) => void): unknown;
  listenerCount?(event: 'error'): number;
}

/** Options for {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * Put before every key, to keep this store's keys apart from others in the same database.
   * @defaultValue 'piapi-webhook:'
   */
  prefix?: string;
}

const CLAIM_STATES: Readonly<Record<number, ClaimResult['state']>> = { 0: 'done', 1: 'in_progress', 2: 'claimed' };

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * A store shared by every instance that uses the same Redis, surviving restarts.
 * Each step of a delivery (claim and watch, renew, complete and unwatch,
 * release) is one atomic Lua script, one round trip; owner tokens make sure
 * that only the current owner of a lease completes or releases it.
 *
 * The client is yours: connect it before the first delivery and close it on
 * shutdown. If it has no `'error'` listener, this store adds one that reports
 * to the middleware's `onError`: a client without one crashes the process when
 * Redis goes away. While Redis is down or slow, the middleware handles
 * deliveries without dedupe and reports it (see the README).
 *
 * @param client - a connected node-redis (v4+) or ioredis client
 * @param options - see {@link RedisStoreOptions}
 * @throws PiapiWebhookConfigError when the client is neither, or an option is wrong
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { redisStore } from 'piapi-webhook/redis';
 * const redis = createClient({ url: process.env.REDIS_URL }).on('error', (error) => console.warn('redis', error));
 * await redis.connect();
 * app.post('/piapi/webhook', piapiWebhook({ secret, onTask, store: redisStore(redis) }));
 * ```
 */
export function redisStore(client: RedisClientLike, options: RedisStoreOptions = {}): DedupeStore {
  const { prefix = DEFAULTS.redisStore.prefix } = options;
  if (typeof prefix !== 'string') {
    throw new PiapiWebhookConfigError('redisStore.prefix', `must be a string, received ${describe(prefix)}.`);
  }
  // A JavaScript caller can pass anything, undefined included: the error below names what was expected.
  const given = client as RedisClientLike | null | undefined;
  const command: ((args: string[]) => Promise<unknown>) | undefined =
    typeof given?.call === 'function'
      ? (args) => client.call!(args[0]!, ...args.slice(1))
      : typeof given?.sendCommand === 'function'
        ? (args) => Promise.resolve(client.sendCommand!(args))
        : undefined;
  if (command === undefined) {
    throw new PiapiWebhookConfigError('redisStore.client', 'must be a node-redis (redis v4+) or ioredis client.');
  }
  let reportError: (error: unknown) => void = () => undefined;
  if (typeof client.on === 'function' && client.listenerCount?.('error') === 0) {
    client.on('error', (error) => reportError(error));
  }

  const shas = new Map<string, string>();
  /** EVALSHA, falling back to EVAL once when Redis has not seen the script (a restart flushes them). */
  async function run(script: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    let sha = shas.get(script);
    if (sha === undefined) {
      sha = createHash('sha1').update(script).digest('hex');
      shas.set(script, sha);
    }
    const rest = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await command!(['EVALSHA', sha, ...rest]);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return command!(['EVAL', script, ...rest]);
    }
  }

  const deliveryKey = (key: string): string => `${prefix}d:${key}`;
  const due = `${prefix}watch:due`;
  const info = `${prefix}watch:info`;

  return {
    async claim(key, owner, leaseMs, watch) {
      const lease = Math.ceil(leaseMs);
      // A new key, the usual case, needs no script: SET NX writes exactly what CLAIM would (attempt 1).
      if (
        watch === undefined &&
        (await command(['SET', deliveryKey(key), `L1:${owner}`, 'NX', 'PX', String(lease)])) !== null
      ) {
        return { state: 'claimed', attempt: 1 };
      }
      const args =
        watch === undefined
          ? [owner, lease, '', 0, 0]
          : [owner, lease, watch.taskId, Math.floor(watch.dueAt), Math.floor(watch.now)];
      const [state, attempt] = (await run(scripts.CLAIM, [deliveryKey(key), due, info], args)) as [number, number];
      const name = CLAIM_STATES[Number(state)] ?? 'in_progress';
      return name === 'claimed' ? { state: name, attempt: Number(attempt) } : { state: name };
    },
    async renew(key, owner, leaseMs) {
      return Number(await run(scripts.RENEW, [deliveryKey(key)], [owner, Math.ceil(leaseMs)])) === 1;
    },
    async complete(key, owner, ttlSeconds, unwatchTaskId) {
      const args = [owner, Math.ceil(ttlSeconds), unwatchTaskId ?? ''];
      return Number(await run(scripts.COMPLETE, [deliveryKey(key), due, info], args)) === 1;
    },
    async release(key, owner, ttlSeconds) {
      return Number(await run(scripts.RELEASE, [deliveryKey(key)], [owner, Math.ceil(ttlSeconds)])) === 1;
    },
    async watch(taskId, dueAt, now) {
      await run(scripts.WATCH, [due, info], [taskId, Math.floor(dueAt), Math.floor(now)]);
    },
    async unwatch(taskId) {
      await run(scripts.UNWATCH, [due, info], [taskId]);
    },
    async takeDueWatches(now, limit, leaseUntil) {
      const flat = (await run(
        scripts.TAKE_DUE,
        [due, info],
        [Math.floor(now), limit, Math.floor(leaseUntil)],
      )) as string[];
      const taken: WatchedTask[] = [];
      for (let index = 0; index + 1 < flat.length; index += 2) {
        const [watchedAt = '0', checks = '0'] = String(flat[index + 1]).split(':');
        taken.push({ taskId: String(flat[index]), watchedAt: Number(watchedAt), checks: Number(checks) });
      }
      return taken;
    },
    async rescheduleWatch(taskId, dueAt, checks) {
      await run(scripts.RESCHEDULE, [due, info], [taskId, Math.floor(dueAt), checks]);
    },
    setErrorReporter(report) {
      reportError = report;
    },
  };
}
