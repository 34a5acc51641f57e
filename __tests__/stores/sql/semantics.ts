/**
 * What sqlStore must do on every driver, written as a suite that takes a way to
 * make a store, so that it runs once per driver (and the shared store-contract
 * suite can be pointed at sqlStore the same way). Time is the store's injected
 * clock: leases and TTLs expire by moving it, never by waiting.
 */
import type { SqlStore, SqlStoreOptions } from '../../../lib/sql.js';

export interface SqlStoreUnderTest {
  readonly store: SqlStore;
  /** How many rows a table of this store holds now. */
  rows(table: 'keys' | 'watches'): Promise<number>;
}

/** A fresh store (its own tables, set up) on the driver under test. */
export type MakeSqlStore = (
  options?: Partial<Pick<SqlStoreOptions, 'now' | 'purgeEvery'>>,
) => Promise<SqlStoreUnderTest>;

const LEASE_MS = 10_000;
const TTL_S = 3600;
const START = 1_755_163_301_000;

export function describeSqlStoreSemantics(name: string, make: MakeSqlStore): void {
  describe(`sqlStore semantics on ${name}`, () => {
    let time = START;
    const now = (): number => time;
    beforeEach(() => {
      time = START;
    });

    it('claims a free key; a live lease is in progress; a completed key is done for its TTL, then free again', async () => {
      const { store } = await make({ now });
      expect(await store.claim('k', 'a', LEASE_MS)).toEqual({ state: 'claimed', attempt: 1 });
      expect(await store.claim('k', 'b', LEASE_MS)).toEqual({ state: 'in_progress' });
      expect(await store.complete('k', 'a', TTL_S)).toBe(true);
      expect(await store.claim('k', 'b', LEASE_MS)).toEqual({ state: 'done' });
      time += TTL_S * 1000 - 1;
      expect(await store.claim('k', 'b', LEASE_MS)).toEqual({ state: 'done' });
      time += 1;
      expect(await store.claim('k', 'c', LEASE_MS)).toEqual({ state: 'claimed', attempt: 1 });
    });

    it('lets only the owner renew, release or complete over its live lease, and counts attempts across releases', async () => {
      const { store } = await make({ now });
      await store.claim('k', 'owner', LEASE_MS);
      expect(await store.renew('k', 'intruder', LEASE_MS)).toBe(false);
      expect(await store.release('k', 'intruder', TTL_S)).toBe(false);
      expect(await store.complete('k', 'intruder', TTL_S)).toBe(false);
      expect(await store.renew('k', 'owner', LEASE_MS)).toBe(true);
      expect(await store.release('k', 'owner', TTL_S)).toBe(true);
      expect(await store.release('k', 'owner', TTL_S)).toBe(false);
      expect(await store.claim('k', 'next', LEASE_MS)).toEqual({ state: 'claimed', attempt: 2 });
      expect(await store.complete('k', 'next', TTL_S)).toBe(true);
    });

    it('records done even for a key it never saw (a store that was down during the claim)', async () => {
      const { store } = await make({ now });
      expect(await store.complete('unseen', 'o', TTL_S)).toBe(true);
      expect(await store.claim('unseen', 'p', LEASE_MS)).toEqual({ state: 'done' });
    });

    it('a renewed lease holds past its first expiry', async () => {
      const { store } = await make({ now });
      await store.claim('k', 'a', LEASE_MS);
      time += LEASE_MS - 1;
      expect(await store.renew('k', 'a', LEASE_MS)).toBe(true);
      time += LEASE_MS - 1;
      expect(await store.claim('k', 'b', LEASE_MS)).toEqual({ state: 'in_progress' });
    });

    it('takes over a key whose owner died once its lease expires, as attempt 2, and the dead owner can no longer touch it', async () => {
      const { store } = await make({ now });
      expect(await store.claim('k', 'crashed', LEASE_MS)).toEqual({ state: 'claimed', attempt: 1 });
      time += LEASE_MS - 1;
      expect(await store.claim('k', 'successor', LEASE_MS)).toEqual({ state: 'in_progress' });
      time += 1;
      expect(await store.claim('k', 'successor', LEASE_MS)).toEqual({ state: 'claimed', attempt: 2 });
      expect(await store.renew('k', 'crashed', LEASE_MS)).toBe(false);
      expect(await store.release('k', 'crashed', TTL_S)).toBe(false);
      expect(await store.complete('k', 'crashed', TTL_S)).toBe(false);
      // Its successor dies too: the third owner runs attempt 3.
      time += LEASE_MS;
      expect(await store.claim('k', 'third', LEASE_MS)).toEqual({ state: 'claimed', attempt: 3 });
      expect(await store.complete('k', 'third', TTL_S)).toBe(true);
    });

    it('keeps watched tasks, hands each due one to a single taker, and forgets it on completion', async () => {
      const { store } = await make({ now });
      await store.claim('k', 'o', LEASE_MS, { taskId: 't', dueAt: 100, now: 50 });
      await store.watch('t', 999, 60);
      expect(await store.takeDueWatches(99, 10, 500)).toEqual([]);
      const [first, second] = await Promise.all([
        store.takeDueWatches(100, 10, 500),
        store.takeDueWatches(100, 10, 500),
      ]);
      expect([...first, ...second]).toEqual([{ taskId: 't', watchedAt: 50, checks: 0 }]);
      expect(await store.takeDueWatches(499, 10, 900)).toEqual([]);
      await store.rescheduleWatch('t', 450, 1);
      await store.rescheduleWatch('not-watched', 450, 1);
      expect(await store.takeDueWatches(450, 10, 900)).toEqual([{ taskId: 't', watchedAt: 50, checks: 1 }]);
      expect(await store.complete('k', 'o', TTL_S, 't')).toBe(true);
      expect(await store.takeDueWatches(10_000, 10, 20_000)).toEqual([]);
    });

    it('watches only on a claim that took the key, and leaves the watch when completion is refused', async () => {
      const { store, rows } = await make({ now });
      await store.claim('k', 'a', LEASE_MS);
      expect(await store.complete('k', 'a', TTL_S)).toBe(true);
      // A duplicate of a delivery that is done does not start watching its task.
      expect(await store.claim('k', 'b', LEASE_MS, { taskId: 't', dueAt: 100, now: 50 })).toEqual({ state: 'done' });
      expect(await rows('watches')).toBe(0);
      await store.claim('k2', 'a', LEASE_MS, { taskId: 't2', dueAt: 100, now: 50 });
      expect(await store.complete('k2', 'intruder', TTL_S, 't2')).toBe(false);
      expect(await rows('watches')).toBe(1);
      await store.unwatch('t2');
      expect(await rows('watches')).toBe(0);
    });

    it('takes due watches in batches of at most `limit`, earliest first', async () => {
      const { store } = await make({ now });
      for (let i = 0; i < 5; i += 1) await store.watch(`t${i}`, 100 - i, 1);
      const batch = await store.takeDueWatches(100, 3, 1000);
      expect(batch.map((w) => w.taskId).sort()).toEqual(['t2', 't3', 't4']);
      expect((await store.takeDueWatches(100, 3, 1000)).map((w) => w.taskId).sort()).toEqual(['t0', 't1']);
    });

    it('deletes expired keys and abandoned watches in bounded batches, and never a live one', async () => {
      const { store, rows } = await make({ now, purgeEvery: 0 });
      for (let i = 0; i < 25; i += 1) {
        await store.claim(`done${i}`, 'o', LEASE_MS);
        await store.complete(`done${i}`, 'o', 60);
      }
      await store.claim('released', 'o', LEASE_MS);
      await store.release('released', 'o', 60);
      await store.claim('leased', 'o', 120_000);
      await store.watch('old', START, START);
      expect(await store.purgeExpired(time, 10)).toBe(0);
      time += 60_000;
      await store.watch('recent', time, time);
      expect(await store.purgeExpired(time, 10)).toBe(10);
      expect(await store.purgeExpired(time, 10)).toBe(10);
      expect(await store.purgeExpired(time, 10)).toBe(6);
      expect(await rows('keys')).toBe(1);
      expect(await store.claim('leased', 'other', LEASE_MS)).toEqual({ state: 'in_progress' });
      // A watch nobody took for 7 days has no sweeper left: 'old' went due 60 s before 'recent'.
      time += 7 * 86_400_000 - 1;
      expect(await rows('watches')).toBe(2);
      await store.purgeExpired(time, 10);
      expect(await rows('watches')).toBe(1);
    });

    it('keeps an abandoned key (its owner died) for an hour after its lease, so a late takeover still counts the attempt', async () => {
      const { store, rows } = await make({ now, purgeEvery: 0 });
      await store.claim('k', 'crashed', LEASE_MS);
      time += LEASE_MS + 3_599_000;
      await store.purgeExpired(time, 10);
      expect(await rows('keys')).toBe(1);
      expect(await store.claim('k', 'late', LEASE_MS)).toEqual({ state: 'claimed', attempt: 2 });
      await store.release('k', 'late', 1);
      time += 3_600_000 + LEASE_MS + 1000;
      await store.purgeExpired(time, 10);
      expect(await rows('keys')).toBe(0);
    });

    it('purges one batch after every `purgeEvery` claims, without holding up the claim', async () => {
      const { store, rows } = await make({ now, purgeEvery: 5 });
      for (let i = 0; i < 4; i += 1) {
        await store.claim(`k${i}`, 'o', LEASE_MS);
        await store.complete(`k${i}`, 'o', 1);
      }
      time += 1000;
      expect(await rows('keys')).toBe(4);
      await store.claim('fifth', 'o', LEASE_MS);
      // The purge runs after the claim answered: poll for it.
      const deadline = Date.now() + 30_000;
      while ((await rows('keys')) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(await rows('keys')).toBe(1);
    });
  });
}
