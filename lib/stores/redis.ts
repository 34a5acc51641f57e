import type { DedupeStore } from '../core/dedupe.js';
import { PiapiWebhookConfigError } from '../core/errors.js';
import { parseScriptStoreOptions, scriptStore, type ScriptStoreOptions } from './script-store.js';

/**
 * The part of a Redis client this store uses: a node-redis (`redis` v4+) client,
 * recognised by `sendCommand`, or an `ioredis` client, recognised by `call`.
 * Typed loosely on purpose: both libraries' own overloads must fit.
 */
export interface RedisClientLike {
  // `any` at this boundary only: both clients' overloaded signatures must fit.
  sendCommand?(args: any): unknown;
  call?(command: string, ...args: any[]): Promise<unknown>;
  on?(event: 'error', listener: (error: unknown) => void): unknown;
  listenerCount?(event: 'error'): number;
}

/** Options for {@link redisStore}: `prefix` and `now`, as {@link ScriptStoreOptions} describes them. */
export interface RedisStoreOptions extends ScriptStoreOptions {}

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
  const { prefix, now } = parseScriptStoreOptions('redisStore', options);
  const command: ((args: string[]) => Promise<unknown>) | undefined =
    typeof client?.call === 'function'
      ? (args) => client.call!(args[0]!, ...args.slice(1))
      : typeof client?.sendCommand === 'function'
        ? (args) => Promise.resolve(client.sendCommand!(args))
        : undefined;
  if (command === undefined) {
    throw new PiapiWebhookConfigError('redisStore.client', 'must be a node-redis (redis v4+) or ioredis client.');
  }
  let reportError: (error: unknown) => void = () => undefined;
  if (typeof client.on === 'function' && client.listenerCount?.('error') === 0) {
    client.on('error', (error) => reportError(error));
  }
  const store = scriptStore(
    {
      setNx: async (key, value, ttlMs) => (await command(['SET', key, value, 'NX', 'PX', String(ttlMs)])) !== null,
      evalSha: (sha, keys, args) => command(['EVALSHA', sha, String(keys.length), ...keys, ...args]),
      eval: (script, keys, args) => command(['EVAL', script, String(keys.length), ...keys, ...args]),
    },
    prefix,
    now,
  );
  store.setErrorReporter = (report) => {
    reportError = report;
  };
  return store;
}
