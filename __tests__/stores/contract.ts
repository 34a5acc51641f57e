/**
 * The store contract: the cases every {@link DedupeStore} must pass, whatever
 * keeps its keys. `contract.test.ts` runs it for each store the package ships.
 *
 * To hold a new store to it, call `describeStoreContract(name, setup)` from a
 * `*.test.ts` file, where `setup` is:
 * - `create(clock)`: a fresh store, isolated from every other case's (a unique
 *   key prefix, a new table, a new process…), that reads the time from `clock`
 *   (ms) wherever it judges a lease. The suite moves that clock by hand, so that
 *   lease expiry needs no waiting. Key expiry (the dedupe TTL) may follow the
 *   store's own real clock instead (Redis's `EX`): those cases poll for it.
 * - `beforeAll()` / `afterAll()`, optional: start and stop what the stores need
 *   (a server, a client), once for the whole suite.
 *
 * The cases state the semantics of `DedupeStore` (lib/core/dedupe.ts) as tests:
 * claim / duplicate / in progress / done; renew, complete and release checked
 * against the owner; attempts counted across releases and across expired leases
 * (issue 20); a claim's watch made in the same step and never twice; the watch
 * list (due order, limit, a taker's lease, reschedule, unwatch, unwatch on
 * completion); keys forgotten after their TTL; task ids that look like JSON.
 */
import type { DedupeStore } from '../../lib/index.js';
import { eventually } from '../helpers/wait.js';

/** How `describeStoreContract` gets its stores (see the top of this file). */
export interface StoreContractSetup {
  /** A fresh, isolated store that judges leases by `clock` (ms). */
  create(clock: () => number): DedupeStore | Promise<DedupeStore>;
  beforeAll?(): Promise<void>;
  afterAll?(): Promise<void>;
}

const LEASE_MS = 1_000;
const TTL_S = 600;

export function describeStoreContract(name: string, setup: StoreContractSetup): void {
  describe(`${name}: the store contract`, () => {
    let now: number;
    let store: DedupeStore;
    const clock = (): number => now;

    if (setup.beforeAll !== undefined) beforeAll(() => setup.beforeAll!());
    if (setup.afterAll !== undefined) afterAll(() => setup.afterAll!());
    beforeEach(async () => {
      now = 1_800_000_000_000;
      store = await setup.create(clock);
    });

    const claim = (key: string, owner: string, leaseMs = LEASE_MS) =>
      Promise.resolve(store.claim(key, owner, leaseMs, undefined, TTL_S));

    it('claims a free key once: a copy meets a live lease in progress, then done once completed', async () => {
      expect(await claim('k', 'a')).toEqual({ state: 'claimed', attempt: 1 });
      expect(await claim('k', 'b')).toEqual({ state: 'in_progress' });
      expect(await store.complete('k', 'a', TTL_S)).toBe(true);
      expect(await claim('k', 'b')).toEqual({ state: 'done' });
      // Keys are independent.
      expect(await claim('other', 'b')).toEqual({ state: 'claimed', attempt: 1 });
    });

    it('lets only the owner renew, release or complete over its live lease', async () => {
      await claim('k', 'owner');
      expect(await store.renew('k', 'intruder', LEASE_MS)).toBe(false);
      expect(await store.release('k', 'intruder', TTL_S)).toBe(false);
      expect(await store.complete('k', 'intruder', TTL_S)).toBe(false);
      expect(await claim('k', 'other')).toEqual({ state: 'in_progress' });
      expect(await store.renew('k', 'owner', LEASE_MS)).toBe(true);
      expect(await store.complete('k', 'owner', TTL_S)).toBe(true);
      // Done: nobody holds it any more.
      expect(await store.renew('k', 'owner', LEASE_MS)).toBe(false);
      expect(await store.release('k', 'owner', TTL_S)).toBe(false);
    });

    it('keeps a renewed lease past its first expiry, and frees one that is not renewed', async () => {
      await claim('alive', 'running');
      await claim('dead', 'crashed');
      now += LEASE_MS * 0.9;
      expect(await store.renew('alive', 'running', LEASE_MS)).toBe(true);
      now += LEASE_MS * 0.2;
      expect(await claim('alive', 'successor')).toEqual({ state: 'in_progress' });
      expect(await claim('dead', 'successor')).toEqual({ state: 'claimed', attempt: 2 });
    });

    it('counts a released key as the next attempt, release after release', async () => {
      await claim('k', 'a');
      expect(await store.release('k', 'a', TTL_S)).toBe(true);
      expect(await claim('k', 'b')).toEqual({ state: 'claimed', attempt: 2 });
      expect(await store.release('k', 'b', TTL_S)).toBe(true);
      expect(await claim('k', 'c')).toEqual({ state: 'claimed', attempt: 3 });
    });

    it('takes over an expired lease as attempt n + 1, and refuses the dead owner afterwards (issue 20)', async () => {
      await claim('k', 'crashed');
      now += LEASE_MS + 1;
      expect(await claim('k', 'successor')).toEqual({ state: 'claimed', attempt: 2 });
      // The crashed owner's late steps may not touch the successor's lease.
      expect(await store.complete('k', 'crashed', TTL_S)).toBe(false);
      expect(await store.renew('k', 'crashed', LEASE_MS)).toBe(false);
      expect(await store.release('k', 'crashed', TTL_S)).toBe(false);
      now += LEASE_MS + 1;
      // Counted whichever way the previous attempt ended: a release, then a crash again.
      expect(await claim('k', 'third')).toEqual({ state: 'claimed', attempt: 3 });
      expect(await store.release('k', 'third', TTL_S)).toBe(true);
      expect(await claim('k', 'fourth')).toEqual({ state: 'claimed', attempt: 4 });
    });

    it('counts the attempt after an expired lease whether the claim watches or not', async () => {
      const watch = { taskId: 't', dueAt: now + 5_000, now };
      expect(await store.claim('k', 'a', LEASE_MS, watch, TTL_S)).toEqual({ state: 'claimed', attempt: 1 });
      now += LEASE_MS + 1;
      expect(await store.claim('k', 'b', LEASE_MS, watch, TTL_S)).toEqual({ state: 'claimed', attempt: 2 });
      now += LEASE_MS + 1;
      expect(await claim('k', 'c')).toEqual({ state: 'claimed', attempt: 3 });
    });

    it('lets the owner of an expired lease that nobody took over still complete it', async () => {
      await claim('k', 'slow');
      now += LEASE_MS + 1;
      expect(await store.complete('k', 'slow', TTL_S)).toBe(true);
      expect(await claim('k', 'late')).toEqual({ state: 'done' });
    });

    it('still frees an expired lease for a caller that passes no TTL (a store called by older code)', async () => {
      expect(await store.claim('k', 'a', LEASE_MS)).toEqual({ state: 'claimed', attempt: 1 });
      now += LEASE_MS + 1;
      await eventually(
        async () => (await store.claim('k', 'b', LEASE_MS)).state === 'claimed',
        'the expired lease to be taken over',
      );
    });

    it('watches the task of a claim in the same step, once, and never for a claim it refuses', async () => {
      const first = { taskId: 't', dueAt: now + 100, now };
      expect(await store.claim('k1', 'a', LEASE_MS, first, TTL_S)).toEqual({ state: 'claimed', attempt: 1 });
      // A second claim watching the same task keeps the first watch: its time and its count.
      const again = { taskId: 't', dueAt: now + 50, now: now + 10 };
      expect(await store.claim('k2', 'a', LEASE_MS, again, TTL_S)).toEqual({ state: 'claimed', attempt: 1 });
      // Refused claims (in progress, done) watch nothing.
      expect(await store.claim('k1', 'b', LEASE_MS, { taskId: 'refused', dueAt: now, now }, TTL_S)).toEqual({
        state: 'in_progress',
      });
      await store.complete('k2', 'a', TTL_S);
      expect(await store.claim('k2', 'b', LEASE_MS, { taskId: 'refused', dueAt: now, now }, TTL_S)).toEqual({
        state: 'done',
      });
      expect(await store.takeDueWatches(now + 99, 10, now + 1_000)).toEqual([]);
      expect(await store.takeDueWatches(now + 100, 10, now + 1_000)).toEqual([
        { taskId: 't', watchedAt: now, checks: 0 },
      ]);
      // 'refused' was never watched: once t's lease has run out, t alone is due.
      expect(await store.takeDueWatches(now + 10_000, 10, now + 20_000)).toEqual([
        { taskId: 't', watchedAt: now, checks: 0 },
      ]);
    });

    it('watches a task once, hands each due task to one taker until its lease, and reschedules it', async () => {
      await store.watch('t', 100, 50);
      await store.watch('t', 999, 60);
      expect(await store.takeDueWatches(99, 10, 500)).toEqual([]);
      expect(await store.takeDueWatches(100, 10, 500)).toEqual([{ taskId: 't', watchedAt: 50, checks: 0 }]);
      // Taken: not due again until the taker's lease runs out.
      expect(await store.takeDueWatches(499, 10, 900)).toEqual([]);
      expect(await store.takeDueWatches(500, 10, 900)).toEqual([{ taskId: 't', watchedAt: 50, checks: 0 }]);
      await store.rescheduleWatch('t', 950, 1);
      expect(await store.takeDueWatches(949, 10, 2_000)).toEqual([]);
      expect(await store.takeDueWatches(950, 10, 2_000)).toEqual([{ taskId: 't', watchedAt: 50, checks: 1 }]);
      // Rescheduling a task that is not watched does not watch it.
      await store.rescheduleWatch('unknown', 0, 1);
      expect(await store.takeDueWatches(1_999, 10, 3_000)).toEqual([]);
    });

    it('takes due tasks earliest first, at most `limit` at a time', async () => {
      for (const [taskId, dueAt] of [
        ['late', 300],
        ['early', 100],
        ['middle', 200],
        ['future', 5_000],
      ] as const)
        await store.watch(taskId, dueAt, 0);
      const first = await store.takeDueWatches(1_000, 2, 10_000);
      expect(first.map((task) => task.taskId)).toEqual(['early', 'middle']);
      expect((await store.takeDueWatches(1_000, 2, 10_000)).map((task) => task.taskId)).toEqual(['late']);
      expect(await store.takeDueWatches(1_000, 2, 10_000)).toEqual([]);
    });

    it('stops watching on unwatch, and on a completion that asks for it', async () => {
      await store.claim('k', 'o', LEASE_MS, { taskId: 'done-task', dueAt: 100, now: 0 }, TTL_S);
      await store.watch('dropped', 100, 0);
      await store.watch('kept', 100, 0);
      await store.unwatch('dropped');
      expect(await store.complete('k', 'o', TTL_S, 'done-task')).toBe(true);
      expect(await store.takeDueWatches(1_000, 10, 2_000)).toEqual([{ taskId: 'kept', watchedAt: 0, checks: 0 }]);
    });

    it('keeps task ids that look like JSON as they are (a REST client parses replies)', async () => {
      const ids = ['42', '007', '1e3', 'true', 'null', '{"a":1}', '[1]', 'with:colons:in:it'];
      for (const [index, taskId] of ids.entries()) await store.watch(taskId, 100 + index, 7);
      const taken = await store.takeDueWatches(1_000, ids.length, 2_000);
      expect(taken).toEqual(ids.map((taskId) => ({ taskId, watchedAt: 7, checks: 0 })));
    });

    it('forgets a done key, and the attempts of a released one, after their TTL', async () => {
      // Released first: once the done key (written after it) has expired, so has the released one.
      await claim('released', 'a');
      await store.release('released', 'a', 1);
      await claim('done', 'a');
      await store.complete('done', 'a', 1);
      expect(await claim('done', 'b')).toEqual({ state: 'done' });
      now += 1_100;
      // Stores that expire keys on their own real clock (Redis's EX) forget them within a second.
      await eventually(async () => (await claim('done', 'b')).state !== 'done', 'the done key to expire');
      expect(await claim('released', 'b')).toEqual({ state: 'claimed', attempt: 1 });
    });
  });
}
