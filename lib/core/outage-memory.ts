import type { ClaimResult, WatchRequest } from './dedupe.js';

/** A delivery key this instance took, completed or released while the store could not answer. */
export interface HeldKey {
  state: 'leased' | 'done' | 'free';
  owner: string;
  attempts: number;
  /** A watch the store was asked for and never recorded. */
  watch: WatchRequest | undefined;
  /** Done: the task the store must stop watching once the completion is recorded. */
  unwatch: string | undefined;
}

/**
 * What this process remembers of deliveries while the store is down, so that
 * copies reaching it are still deduped; everything here is written to the
 * store once it answers again, then forgotten. Bounded: past `max` keys,
 * deliveries are handled without dedupe, as with no memory at all.
 */
export interface OutageMemory {
  /** How many keys are held. */
  readonly size: number;
  /**
   * The answer for a key held here (a copy of a delivery handled during the
   * outage), or undefined when the store is to be asked. A released key is
   * taken again by `owner`, with the next attempt.
   */
  claim(key: string, owner: string): ClaimResult | undefined;
  /**
   * Takes `key` for `owner` because the store could not (or answers as `claim`
   * does, when a concurrent copy took it first); undefined when the memory is full.
   */
  take(key: string, owner: string, watch: WatchRequest | undefined): ClaimResult | undefined;
  /** The handler succeeded and the store could not record it: keep it done until it can. */
  complete(key: string, owner: string, unwatch: string | undefined): void;
  /** The handler failed and the store could not free it: free it here. */
  release(key: string, owner: string): void;
  /** The store has recorded what was held for `key` (only `entry`, when given: not a newer one). */
  forget(key: string, entry?: HeldKey): void;
  /** The keys held, to record in the store. */
  entries(): IterableIterator<[string, HeldKey]>;
}

/** @param max - the most keys held at once */
export function createOutageMemory(max: number): OutageMemory {
  const held = new Map<string, HeldKey>();

  function claim(key: string, owner: string): ClaimResult | undefined {
    const entry = held.get(key);
    if (entry === undefined) return undefined;
    if (entry.state === 'done') return { state: 'done' };
    if (entry.state === 'leased') return { state: 'in_progress' };
    entry.state = 'leased';
    entry.owner = owner;
    entry.attempts += 1;
    return { state: 'claimed', attempt: entry.attempts };
  }

  return {
    get size() {
      return held.size;
    },
    claim,
    take(key, owner, watch) {
      // A copy that asked the store at the same time as the first, and failed after it.
      if (held.has(key)) return claim(key, owner);
      if (held.size >= max) return undefined;
      held.set(key, { state: 'leased', owner, attempts: 1, watch, unwatch: undefined });
      return { state: 'claimed', attempt: 1 };
    },
    complete(key, owner, unwatch) {
      const entry = held.get(key);
      if (entry !== undefined) {
        entry.state = 'done';
        entry.owner = owner;
        entry.unwatch = unwatch;
      } else if (held.size < max) {
        held.set(key, { state: 'done', owner, attempts: 1, watch: undefined, unwatch });
      }
    },
    release(key, owner) {
      const entry = held.get(key);
      if (entry !== undefined && entry.owner === owner) entry.state = 'free';
    },
    forget(key, entry) {
      if (entry === undefined || held.get(key) === entry) held.delete(key);
    },
    entries: () => held.entries(),
  };
}
