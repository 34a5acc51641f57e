import { LRUCache } from 'lru-cache';
import { memoryStore, PiapiWebhookConfigError } from '../../lib/index.js';

const LEASE_MS = 10_000;
const TTL_S = 3600;

// Claims, leases, attempts, the watch list and TTLs: the store contract (contract.test.ts). Here, what only
// the in-process store has: its bound, and what it forgets to stay within it.
describe('memoryStore', () => {
  it('never forgets a key inside its time-to-live: when full it answers full, and makes room as keys expire', () => {
    let now = 1_000_000;
    const store = memoryStore({ max: 3, now: () => now });
    for (const key of ['a', 'b', 'c']) {
      store.claim(key, 'o', LEASE_MS);
      store.complete(key, 'o', 60);
    }
    expect(store.claim('d', 'o', LEASE_MS)).toEqual({ state: 'full' });
    expect(store.claim('a', 'o', LEASE_MS)).toEqual({ state: 'done' });
    expect(store.size).toBe(3);
    now += 61_000;
    expect(store.claim('d', 'o', LEASE_MS)).toEqual({ state: 'claimed', attempt: 1 });
  });

  it('forgets the least recently used done key to make room only once it is past the replay window', () => {
    let now = 1_000_000;
    const store = memoryStore({ max: 2, replayWindowSeconds: 600, now: () => now });
    for (const key of ['a', 'b']) {
      store.claim(key, 'o', LEASE_MS);
      store.complete(key, 'o', TTL_S);
    }
    now += 599_000;
    expect(store.claim('c', 'o', LEASE_MS)).toEqual({ state: 'full' });
    now += 1_000;
    // 'a' is past the window: a copy of it would be refused as stale, so it may go.
    expect(store.claim('c', 'o', LEASE_MS)).toEqual({ state: 'claimed', attempt: 1 });
    expect(store.claim('b', 'o', LEASE_MS)).toEqual({ state: 'done' });
    expect(store.size).toBe(2);
  });

  it('never forgets a done key inside the replay window, whatever the milliseconds of its completion', () => {
    let now = 1_000_999;
    const store = memoryStore({ max: 1, replayWindowSeconds: 600, now: () => now });
    store.claim('a', 'o', LEASE_MS);
    store.complete('a', 'o', TTL_S);
    now += 599_999;
    expect(store.claim('b', 'o', LEASE_MS)).toEqual({ state: 'full' });
    // Done keys are kept to the second, rounded up: at most a second past the window, never before.
    now += 1_000;
    expect(store.claim('b', 'o', LEASE_MS)).toEqual({ state: 'claimed', attempt: 1 });
  });

  it('makes room from expired keys before it forgets a live one', () => {
    let now = 1_000_000;
    const store = memoryStore({ max: 100, replayWindowSeconds: 600, now: () => now });
    for (let index = 0; index < 100; index += 1) {
      store.claim(`k${index}`, 'o', LEASE_MS);
      // The first half expires after a minute, the second half after an hour.
      store.complete(`k${index}`, 'o', index < 50 ? 60 : TTL_S);
    }
    // Every key is past the replay window; only the first half has expired.
    now += 700_000;
    for (let index = 0; index < 50; index += 1)
      expect(store.claim(`new${index}`, 'o', LEASE_MS)).toEqual({ state: 'claimed', attempt: 1 });
    for (let index = 50; index < 100; index += 1)
      expect(store.claim(`k${index}`, 'o', LEASE_MS)).toEqual({ state: 'done' });
  });

  it('looks for expired keys in a full store at most once a second, not once per delivery (each look visits every key)', () => {
    let now = 1_000_000;
    const purges = jest.spyOn(LRUCache.prototype, 'purgeStale');
    try {
      const store = memoryStore({ max: 100, now: () => now });
      for (let index = 0; index < 100; index += 1) {
        store.claim(`k${index}`, 'o', LEASE_MS);
        store.complete(`k${index}`, 'o', TTL_S);
      }
      for (let index = 0; index < 1000; index += 1)
        expect(store.claim(`new${index}`, 'o', LEASE_MS)).toEqual({ state: 'full' });
      expect(purges).toHaveBeenCalledTimes(1);
      now += 1000;
      expect(store.claim('later', 'o', LEASE_MS)).toEqual({ state: 'full' });
      expect(purges).toHaveBeenCalledTimes(2);
    } finally {
      purges.mockRestore();
    }
  });

  it.each([
    [{ max: 0 }, 'memoryStore.max'],
    [{ max: 2.5 }, 'memoryStore.max'],
  ])('refuses %j, naming the option', (options, option) => {
    expect(() => memoryStore(options)).toThrow(PiapiWebhookConfigError);
    expect(() => memoryStore(options)).toThrow(`"${option}"`);
  });
});
