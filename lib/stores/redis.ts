import type { DedupeStore } from '../core/dedupe.js';
import { PiapiWebhookConfigError } from '../core/errors.js';
import { describe, positiveNumber } from '../core/option-checks.js';

/**
 * The part of a Redis client this store uses: a node-redis (`redis` v4+) client,
 * recognised by its `isOpen`, or an `ioredis` client, recognised by its `status`.
 * Typed loosely on purpose: both libraries' own `set` overloads fit it.
 */
export interface RedisClientLike {
  // `any` at this boundary only: both clients' overloaded signatures must fit.
  set(...args: any[]): Promise<unknown>;
  del(key: string): Promise<unknown>;
  readonly isOpen?: boolean;
  readonly status?: string;
}

/** Options for {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * Put before every key, to keep this store's keys apart from others in the same database.
   * @defaultValue 'piapi-webhook:'
   */
  prefix?: string;
  /**
   * Remember each key at least this long, in seconds. The middleware asks for at
   * least an hour, and for `2 × maxSkewSeconds` if that is longer; a larger value here wins.
   * @defaultValue what the middleware asks for
   */
  ttlSeconds?: number;
}

/**
 * A dedupe store shared by every instance that uses the same Redis: one atomic
 * `SET key 1 NX EX ttl` per claim, so of concurrent copies of a delivery, across
 * all instances, exactly one is handled. `release` deletes the key.
 *
 * The client is yours: connect it before the first delivery and close it on
 * shutdown. While Redis is down or slow, the middleware handles deliveries
 * without dedupe and reports each failure (see the README).
 *
 * @param client - a connected node-redis (v4+) or ioredis client
 * @param options - see {@link RedisStoreOptions}
 * @throws PiapiWebhookConfigError when the client is neither, or an option is wrong
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { redisStore } from 'piapi-webhook/redis';
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
 * app.post('/piapi/webhook', piapiWebhook({ secret, onTask, store: redisStore(redis) }));
 * ```
 */
export function redisStore(client: RedisClientLike, options: RedisStoreOptions = {}): DedupeStore {
  const { prefix = 'piapi-webhook:', ttlSeconds } = options;
  if (typeof prefix !== 'string') {
    throw new PiapiWebhookConfigError('redisStore.prefix', `must be a string, received ${describe(prefix)}.`);
  }
  const minimumTtl = ttlSeconds === undefined ? 1 : positiveNumber('redisStore.ttlSeconds', ttlSeconds);
  const isClient = typeof client?.set === 'function' && typeof client.del === 'function';
  const isNodeRedis = isClient && typeof client.isOpen === 'boolean';
  if (!isNodeRedis && !(isClient && typeof client.status === 'string')) {
    throw new PiapiWebhookConfigError('redisStore.client', 'must be a node-redis (redis v4+) or ioredis client.');
  }
  // The two clients spell SET's options differently; both send the same command.
  const setIfAbsent = isNodeRedis
    ? (key: string, seconds: number) => client.set(key, '1', { NX: true, EX: seconds })
    : (key: string, seconds: number) => client.set(key, '1', 'EX', seconds, 'NX');

  return {
    async claim(key, ttlSeconds) {
      return (await setIfAbsent(prefix + key, Math.ceil(Math.max(minimumTtl, ttlSeconds)))) === 'OK';
    },
    async release(key) {
      await client.del(prefix + key);
    },
  };
}
