import { LRUCache } from 'lru-cache';
import type { ClaimResult, DedupeStore, WatchedTask, WatchRequest } from '../core/dedupe.js';
import { DEFAULTS } from '../core/defaults.js';
import { positiveInteger, positiveNumber } from '../core/option-checks.js';

/** Options for {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most delivery keys kept at once, and separately the most watched tasks.
   * A key costs about 170 bytes whatever the task id (keys are fixed-size
   * hashes), so the default bounds the store near 17 MB. When every place is
   * taken, the least recently used key is forgotten only if it is older than
   * `replayWindowSeconds` (a copy of it would be refused as stale anyway);
   * otherwise new deliveries are refused with 503 `store_full` (PiAPI retries).
   * A full store looks for expired keys at most once a second (that visits every key).
   * Beyond `max` watched tasks, `hook.watch()` rejects with a `PiapiWebhookWatchError`
   * and a notification's watch is reported as a `watch_dropped` outcome.
   * @defaultValue 100000
   */
  max?: number;
  /**
   * How long a key may not be forgotten to make room, in seconds: the window
   * in which a copy passes the timestamp check, `2 × maxSkewSeconds`. The
   * middleware sets it for its default store; set it yourself if you pass a
   * `memoryStore()` and change `maxSkewSeconds`.
   * @defaultValue 600
   */
  replayWindowSeconds?: number;
  /**
   * The clock, in milliseconds. The middleware passes its own `now` to the default store.
   * @defaultValue Date.now
   */
  now?: () => number;
}

/** The in-process store: {@link DedupeStore}, answering synchronously, plus what tests and metrics may read. */
export interface MemoryStore extends DedupeStore {
  claim(key: string, owner: string, leaseMs: number, watch?: WatchRequest, ttlSeconds?: number): ClaimResult;
  renew(key: string, owner: string, leaseMs: number, attempt?: number): boolean;
  complete(key: string, owner: string, ttlSeconds: number, unwatchTaskId?: string): boolean;
  release(key: string, owner: string, ttlSeconds: number): boolean;
  watch(taskId: string, dueAt: number, now: number): boolean;
  unwatch(taskId: string): void;
  takeDueWatches(now: number, limit: number, leaseUntil: number): readonly WatchedTask[];
  rescheduleWatch(taskId: string, dueAt: number, checks: number): void;
  /** How many delivery keys are kept now. Never more than `max`. */
  readonly size: number;
  /** How many tasks are watched now. */
  readonly watching: number;
}

type Entry =
  /** Leased until `leaseUntil` (ms); past it, the lease has expired but its attempts still count. */
  | { readonly state: 'leased'; readonly owner: string; readonly attempts: number; readonly leaseUntil: number }
  | { readonly state: 'free'; readonly attempts: number }
  /** Done: since when, in whole seconds rounded up. A small integer costs no allocation, and done keys are most of the store. */
  | number;

interface Watch {
  dueAt: number;
  readonly watchedAt: number;
  checks: number;
}

const PURGE_INTERVAL_MS = 1000;

/**
 * The embedded store: delivery keys in an `lru-cache` with a time-to-live per
 * entry, and watched tasks in a map, all in this process. Its memory is bounded
 * however many deliveries arrive. It does not survive a restart and is not
 * shared: use `redisStore` for that, or `reconcile(ids)` after a restart.
 *
 * @param options - see {@link MemoryStoreOptions}
 * @throws PiapiWebhookConfigError when `max` is not a positive integer
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  // Defaults only for what is absent: a null is refused, as in parseOptions.
  const { max: givenMax = DEFAULTS.memoryStore.max, replayWindowSeconds = DEFAULTS.memoryStore.replayWindowSeconds } =
    options;
  const max = positiveInteger('memoryStore.max', givenMax);
  const replayWindowMs = 1000 * positiveNumber('memoryStore.replayWindowSeconds', replayWindowSeconds);
  const now = options.now ?? Date.now;
  // Bounded by maxSize (each key counts 1) rather than max: max preallocates its arrays, which cost
  // ~40 ms of cold start at 100 000 keys. ttlResolution 0: read the clock on every check, so an
  // injected clock is honoured at once.
  const keys = new LRUCache<string, Entry>({ maxSize: max, sizeCalculation: () => 1, ttlResolution: 0, perf: { now } });
  const watches = new Map<string, Watch>();

  // purgeStale() visits every key: a full store runs it at most this often, not once per delivery.
  let nextPurgeAt = Number.NEGATIVE_INFINITY;

  /** Forgets the least recently used live key if it is done and past the replay window (a copy would be refused as stale). */
  function forgetOldest(at: number): boolean {
    const oldest = keys.rkeys().next().value;
    const entry = oldest === undefined ? undefined : keys.peek(oldest);
    if (oldest === undefined || typeof entry !== 'number' || at - entry * 1000 < replayWindowMs) return false;
    keys.delete(oldest);
    return true;
  }

  /**
   * Room for one more key, forgetting only expired keys, or the least recently
   * used one once it is past the replay window; false when none may go.
   */
  function hasRoom(): boolean {
    if (keys.size < max) return true;
    const at = now();
    // Expired keys first: one purge makes room for as many deliveries as it removed keys, and
    // finding the oldest live key walks past every expired one.
    if (at >= nextPurgeAt) {
      nextPurgeAt = at + PURGE_INTERVAL_MS;
      keys.purgeStale();
      if (keys.size < max) return true;
    }
    return forgetOldest(at);
  }

  /** False when the task could not be watched: `max` tasks are watched already. */
  function watch(taskId: string, dueAt: number, now: number): boolean {
    if (watches.has(taskId)) return true;
    if (watches.size >= max) return false;
    watches.set(taskId, { dueAt, watchedAt: now, checks: 0 });
    return true;
  }

  return {
    claim(key, owner, leaseMs, watchRequest, ttlSeconds) {
      const entry = keys.get(key);
      if (typeof entry === 'number') return { state: 'done' };
      const at = now();
      if (entry?.state === 'leased' && entry.leaseUntil > at) return { state: 'in_progress' };
      // lru-cache would evict a live key to make room; refuse instead.
      if (entry === undefined && !hasRoom()) return { state: 'full' };
      const attempts = (entry?.attempts ?? 0) + 1;
      // Kept past the lease for the dedupe TTL: a takeover after a crash is the next attempt.
      const ttl = ttlSeconds === undefined ? leaseMs : Math.max(leaseMs, ttlSeconds * 1000);
      keys.set(key, { state: 'leased', owner, attempts, leaseUntil: at + leaseMs }, { ttl });
      if (watchRequest !== undefined && !watch(watchRequest.taskId, watchRequest.dueAt, watchRequest.now))
        return { state: 'claimed', attempt: attempts, watchDropped: true };
      return { state: 'claimed', attempt: attempts };
    },
    renew(key, owner, leaseMs, attempt = 1) {
      const entry = keys.get(key);
      // Gone (a lease that ran out unclaimed): nobody else holds it, so the running owner takes it back.
      if (entry === undefined) {
        if (!hasRoom()) return false;
        keys.set(key, { state: 'leased', owner, attempts: attempt, leaseUntil: now() + leaseMs }, { ttl: leaseMs });
        return true;
      }
      if (typeof entry !== 'object' || entry.state !== 'leased' || entry.owner !== owner) return false;
      const ttl = Math.max(leaseMs, keys.getRemainingTTL(key));
      keys.set(key, { ...entry, leaseUntil: now() + leaseMs }, { ttl });
      return true;
    },
    complete(key, owner, ttlSeconds, unwatchTaskId) {
      const entry = keys.get(key);
      const liveLease = typeof entry === 'object' && entry.state === 'leased' && entry.leaseUntil > now();
      if (liveLease && entry.owner !== owner) return false;
      if (entry === undefined && !hasRoom()) return false;
      // Rounded up: the key is kept up to a second longer past the replay window, never shorter.
      keys.set(key, Math.ceil(now() / 1000), { ttl: ttlSeconds * 1000 });
      if (unwatchTaskId !== undefined) watches.delete(unwatchTaskId);
      return true;
    },
    release(key, owner, ttlSeconds) {
      const entry = keys.get(key);
      if (typeof entry !== 'object' || entry.state !== 'leased' || entry.owner !== owner) return false;
      keys.set(key, { state: 'free', attempts: entry.attempts }, { ttl: ttlSeconds * 1000 });
      return true;
    },
    watch,
    unwatch(taskId) {
      watches.delete(taskId);
    },
    takeDueWatches(now, limit, leaseUntil) {
      const due: Array<[string, Watch]> = [];
      for (const item of watches) if (item[1].dueAt <= now) due.push(item);
      // Earliest first, as redisStore's sorted set hands them out: the longest-waiting tasks are checked first.
      due.sort(([, a], [, b]) => a.dueAt - b.dueAt);
      if (due.length > limit) due.length = limit;
      return due.map(([taskId, entry]): WatchedTask => {
        entry.dueAt = leaseUntil;
        return { taskId, watchedAt: entry.watchedAt, checks: entry.checks };
      });
    },
    rescheduleWatch(taskId, dueAt, checks) {
      const entry = watches.get(taskId);
      if (entry === undefined) return;
      entry.dueAt = dueAt;
      entry.checks = checks;
    },
    get size() {
      return keys.size;
    },
    get watching() {
      return watches.size;
    },
  };
}
