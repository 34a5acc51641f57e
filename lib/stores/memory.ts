import { LRUCache } from 'lru-cache';
import { positiveNumber } from '../core/option-checks.js';
import type { DedupeStore } from '../core/dedupe.js';

/** Options for {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most keys remembered at once; the least recently used is forgotten first.
   * @defaultValue 10000
   */
  max?: number;
  /**
   * Remember each key at least this long, in seconds. The middleware asks for at
   * least an hour, and for `2 × maxSkewSeconds` if that is longer; a larger
   * value here wins.
   * @defaultValue what the middleware asks for
   */
  ttlSeconds?: number;
  /**
   * The clock, in milliseconds.
   * @defaultValue Date.now
   */
  now?: () => number;
}

/** The in-process store: {@link DedupeStore} plus what tests and metrics may read. */
export interface MemoryStore extends DedupeStore {
  claim(key: string, ttlSeconds: number): boolean;
  release(key: string): void;
  /** How many keys are remembered now. Never more than `max`. */
  readonly size: number;
}

const DEFAULT_MEMORY_STORE_MAX = 10_000;

/**
 * The embedded dedupe store: an LRU cache in this process (`lru-cache`). It never
 * holds more than `max` keys, so its memory is bounded however many deliveries
 * arrive. Each instance of an app has its own: use `redisStore` to share.
 *
 * @param options - see {@link MemoryStoreOptions}
 * @throws PiapiWebhookConfigError when `max` or `ttlSeconds` is not a positive number
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const max = options.max === undefined ? DEFAULT_MEMORY_STORE_MAX : positiveNumber('memoryStore.max', options.max, true);
  const minimumTtlSeconds = options.ttlSeconds === undefined ? 1 : positiveNumber('memoryStore.ttlSeconds', options.ttlSeconds);
  const minimumTtlMs = minimumTtlSeconds * 1000;
  // ttlResolution 0: read the clock on every check, so an injected clock is honoured at once.
  const cache = new LRUCache<string, true>({
    max,
    ttl: minimumTtlMs,
    ttlResolution: 0,
    perf: { now: options.now ?? Date.now },
  });
  return {
    claim(key, ttlSeconds) {
      // has + set is atomic here: both run in one turn of the event loop.
      if (cache.has(key)) return false;
      cache.set(key, true, { ttl: Math.max(minimumTtlMs, ttlSeconds * 1000) });
      return true;
    },
    release(key) {
      cache.delete(key);
    },
    get size() {
      return cache.size;
    },
  };
}
