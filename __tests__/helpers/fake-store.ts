import type { ClaimResult, DedupeStore, WatchedTask, WatchRequest } from '../../lib/core/dedupe.js';

/** One call the pipeline made to the store. */
export interface StoreCall {
  readonly method: keyof DedupeStore;
  readonly args: readonly unknown[];
}

type Key = { state: 'leased'; owner: string; attempts: number } | { state: 'free'; attempts: number } | 'done';

/**
 * A small in-memory {@link DedupeStore} for the pipeline's unit tests: the
 * contract's claim/renew/complete/release, without expiry, every call logged.
 * `async` makes every method answer with a promise, as Redis does. Replace a
 * method (`store.claim = …`) to script an answer or a failure.
 */
export function fakeStore(options: { async?: boolean } = {}): DedupeStore & {
  readonly calls: StoreCall[];
  readonly keys: Map<string, Key>;
  readonly watched: Set<string>;
  callsTo(method: keyof DedupeStore): StoreCall[];
} {
  const calls: StoreCall[] = [];
  const keys = new Map<string, Key>();
  const watched = new Set<string>();
  const answer = <T>(value: T): T | Promise<T> => (options.async === true ? Promise.resolve(value) : value);
  const log = (method: keyof DedupeStore, args: readonly unknown[]): void => void calls.push({ method, args });

  return {
    calls,
    keys,
    watched,
    callsTo: (method) => calls.filter((call) => call.method === method),
    claim(key: string, owner: string, leaseMs: number, watch?: WatchRequest) {
      log('claim', [key, owner, leaseMs, watch]);
      const entry = keys.get(key);
      let result: ClaimResult;
      if (entry === 'done') result = { state: 'done' };
      else if (entry?.state === 'leased') result = { state: 'in_progress' };
      else {
        const attempt = (entry?.attempts ?? 0) + 1;
        keys.set(key, { state: 'leased', owner, attempts: attempt });
        if (watch !== undefined) watched.add(watch.taskId);
        result = { state: 'claimed', attempt };
      }
      return answer(result);
    },
    renew(key: string, owner: string, leaseMs: number) {
      log('renew', [key, owner, leaseMs]);
      const entry = keys.get(key);
      return answer(typeof entry === 'object' && entry.state === 'leased' && entry.owner === owner);
    },
    complete(key: string, owner: string, ttlSeconds: number, unwatchTaskId?: string) {
      log('complete', [key, owner, ttlSeconds, unwatchTaskId]);
      const entry = keys.get(key);
      if (typeof entry === 'object' && entry.state === 'leased' && entry.owner !== owner) return answer(false);
      keys.set(key, 'done');
      if (unwatchTaskId !== undefined) watched.delete(unwatchTaskId);
      return answer(true);
    },
    release(key: string, owner: string, ttlSeconds: number) {
      log('release', [key, owner, ttlSeconds]);
      const entry = keys.get(key);
      if (typeof entry !== 'object' || entry.state !== 'leased' || entry.owner !== owner) return answer(false);
      keys.set(key, { state: 'free', attempts: entry.attempts });
      return answer(true);
    },
    watch(taskId: string, dueAt: number, now: number) {
      log('watch', [taskId, dueAt, now]);
      watched.add(taskId);
      return answer(undefined);
    },
    unwatch(taskId: string) {
      log('unwatch', [taskId]);
      watched.delete(taskId);
      return answer(undefined);
    },
    takeDueWatches(now: number, limit: number, leaseUntil: number) {
      log('takeDueWatches', [now, limit, leaseUntil]);
      return answer<readonly WatchedTask[]>([]);
    },
    rescheduleWatch(taskId: string, dueAt: number, checks: number) {
      log('rescheduleWatch', [taskId, dueAt, checks]);
      return answer(undefined);
    },
  };
}
