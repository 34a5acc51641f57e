import type { DedupeStore } from '../core/dedupe.js';
import { PiapiWebhookConfigError } from '../core/errors.js';
import { redisKeys } from './redis-keys.js';
import { parseScriptStoreOptions, scriptStore, type ScriptStoreOptions } from './script-store.js';

/**
 * The part of an `@upstash/redis` client (`Redis`, v1.34+) this store uses.
 * Typed loosely on purpose: the client's generic signatures must fit.
 */
export interface UpstashRedisLike {
  // `any` at this boundary only: the client's generic signatures must fit.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  evalsha(sha1: string, keys: string[], args: any[]): Promise<unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  eval(script: string, keys: string[], args: any[]): Promise<unknown>;
}

/** Options for {@link upstashStore}: `prefix` and `now`, as for `redisStore`. */
export type UpstashStoreOptions = ScriptStoreOptions;

/**
 * The store for serverless and edge runtimes (Vercel, Netlify, Cloudflare
 * Workers, Deno Deploy, Supabase Edge): Redis over HTTPS through
 * `@upstash/redis`, shared by every invocation and instance. It has the same
 * semantics, scripts and keys as `redisStore`: a Node server on TCP and an edge
 * function on REST can share one database with the same `prefix`.
 *
 * Each step of a delivery (claim and watch, renew, complete and unwatch,
 * release) is one HTTP request running one atomic Lua script (`EVALSHA`,
 * falling back to `EVAL` when the database has not seen it): a new delivery
 * costs one request before the answer and one after the handler, a copy one.
 * This entry imports no `node:*` module. Upstash replicates asynchronously: a
 * failover can, rarely, let two claims of one delivery win, so that its
 * `onTask` runs twice (see docs/stores.md).
 *
 * @param client - an `@upstash/redis` `Redis` client
 * @param options - see {@link UpstashStoreOptions}
 * @throws PiapiWebhookConfigError when the client is not one, or an option is wrong
 *
 * @example
 * ```ts
 * import { Redis } from '@upstash/redis';
 * import { upstashStore } from 'piapi-webhook/upstash';
 * const store = upstashStore(Redis.fromEnv(), { prefix: 'piapi-webhook:' });
 * export const POST = piapiWebhookHandler({ secret, onTask, store });
 * ```
 */
export function upstashStore(client: UpstashRedisLike, options: UpstashStoreOptions = {}): DedupeStore {
  const { prefix, now } = parseScriptStoreOptions('upstashStore', options);
  // A JavaScript caller can pass anything, undefined included.
  const given = client as UpstashRedisLike | null | undefined;
  if (typeof given?.evalsha !== 'function' || typeof given.eval !== 'function') {
    throw new PiapiWebhookConfigError('upstashStore.client', 'must be an @upstash/redis client (new Redis(...)).');
  }
  return scriptStore(
    {
      // No SET NX first, as redisStore does: over HTTP, a duplicate would then cost two requests, not one.
      evalSha: (sha, keys, args) => client.evalsha(sha, keys, args),
      eval: (script, keys, args) => client.eval(script, keys, args),
    },
    // Upstash databases are single-node: the layout redisStore uses on a single node, so both can share one.
    redisKeys(prefix, false),
    now,
  );
}
