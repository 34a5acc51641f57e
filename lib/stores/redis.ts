import type { DedupeStore } from '../core/dedupe.js';
import { PiapiWebhookConfigError } from '../core/errors.js';
import { redisConnection, type RedisClientLike } from './redis-client.js';
import { redisKeys } from './redis-keys.js';
import { parseScriptStoreOptions, scriptStore, type ScriptStoreOptions } from './script-store.js';

export type { RedisClientLike } from './redis-client.js';

/**
 * Options for {@link redisStore}: `prefix` and `now`, as {@link ScriptStoreOptions} describes them.
 * On a cluster client, a prefix without a hash tag is wrapped in one (`myapp:` → `{myapp}:`), so that
 * every key of the store shares one hash slot; a prefix with a hash tag (`{myapp}:`) is used as it is,
 * on either kind of client (see docs/redis-cluster.md).
 */
export type RedisStoreOptions = ScriptStoreOptions;

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
 * deliveries deduped in its own process, reports it, and records them in Redis
 * once the client is `'ready'` again (see docs/stores.md, "When the store fails").
 *
 * A Redis Cluster client (node-redis `createCluster`, ioredis `Cluster`) works
 * too: all of the store's keys then share one hash slot, so that every step
 * stays one script (see {@link RedisStoreOptions.prefix}).
 *
 * @param client - a connected node-redis (v4+) or ioredis client, or a cluster of either (`createCluster`, ioredis `Cluster`)
 * @param options - see {@link RedisStoreOptions}
 * @throws PiapiWebhookConfigError when the client is none of these, or an option is wrong
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
  const { prefix, now } = parseScriptStoreOptions('redisStore', options);
  const connection = redisConnection(client);
  if (connection === undefined) {
    throw new PiapiWebhookConfigError(
      'redisStore.client',
      'must be a node-redis (redis v4+) or ioredis client, or a cluster of either.',
    );
  }
  const { command } = connection;
  let reportError: (error: unknown) => void = () => undefined;
  if (typeof client.on === 'function' && client.listenerCount?.('error') === 0) {
    client.on('error', (error) => reportError(error));
  }
  // Each command names its first key: a cluster client sends it to the node that holds that key's slot.
  const store = scriptStore(
    {
      setNx: async (key, value, ttlMs) => (await command(['SET', key, value, 'NX', 'PX', String(ttlMs)], key)) !== null,
      evalSha: (sha, keys, args) => command(['EVALSHA', sha, String(keys.length), ...keys, ...args], keys[0]!),
      eval: (script, keys, args) => command(['EVAL', script, String(keys.length), ...keys, ...args], keys[0]!),
    },
    redisKeys(prefix, connection.cluster),
    now,
  );
  store.setErrorReporter = (report) => {
    reportError = report;
  };
  store.setReadyListener = (listener) => {
    // Both libraries emit 'ready' once they have reconnected and can run commands.
    client.on?.('ready', listener);
  };
  return store;
}
