/**
 * The key layout of `redisStore` (see docs/redis-cluster.md for why).
 *
 * A store's keys are `<prefix>d:<delivery key>`, `<prefix>watch:due` and
 * `<prefix>watch:info`. A claim that watches and a completion that unwatches
 * touch a delivery key and both watch keys in one script, so on a Redis Cluster
 * all of a store's keys must share one hash slot. Redis hashes only the hash
 * tag of a key when it has one: the text between its first `{` and the first
 * `}` after it, if that text is not empty. So:
 *
 * - a single node keeps the layout of earlier versions (no key moves at upgrade);
 * - a cluster client uses the prefix as it is when the prefix carries a hash
 *   tag, and otherwise wraps it in one: `piapi-webhook:` → `{piapi-webhook}:`.
 */
import { PiapiWebhookConfigError } from '../core/errors.js';
import { describe } from '../core/option-checks.js';

/** The names of a store's keys. */
export interface RedisKeys {
  /** What every key starts with. */
  readonly prefix: string;
  /** The key of one delivery. */
  delivery(key: string): string;
  /** Sorted set: watched task id → when it is next due (ms). */
  readonly due: string;
  /** Hash: watched task id → `<watchedAt>:<checks>`. */
  readonly info: string;
}

/**
 * The hash tag of a key as Redis Cluster finds it, or undefined when the whole key is hashed.
 * @param key - a key, or the start of every key of a store
 */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open === -1) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/**
 * The prefix a cluster client uses: `prefix` if it carries a hash tag, else `prefix` wrapped in one
 * (a trailing `:` stays outside the braces).
 * @param prefix - the user's prefix
 * @throws PiapiWebhookConfigError when no hash tag can be made of it (an empty prefix, or one that starts with `}`)
 */
export function clusterPrefix(prefix: string): string {
  if (hashTagOf(prefix) !== undefined) return prefix;
  const separator = prefix.endsWith(':') ? ':' : '';
  const tagged = `{${prefix.slice(0, prefix.length - separator.length)}}${separator}`;
  if (hashTagOf(tagged) === undefined) {
    throw new PiapiWebhookConfigError(
      'redisStore.prefix',
      `must keep every key in one hash slot on a Redis Cluster, and no hash tag can be made of ${describe(prefix)}. Use a prefix with a hash tag, such as "{piapi-webhook}:".`,
    );
  }
  return tagged;
}

/**
 * The names of a store's keys.
 * @param prefix - the user's prefix
 * @param cluster - whether the client is a Redis Cluster client (every key then shares one hash slot)
 * @throws PiapiWebhookConfigError on a cluster, for a prefix that cannot be given a hash tag
 */
export function redisKeys(prefix: string, cluster: boolean): RedisKeys {
  const start = cluster ? clusterPrefix(prefix) : prefix;
  return {
    prefix: start,
    delivery: (key) => `${start}d:${key}`,
    due: `${start}watch:due`,
    info: `${start}watch:info`,
  };
}
