import { beforeDeadline, runBatches, type BatchPlan } from '../../lib/recovery/batches.js';
import type { TaskLookup } from '../../lib/recovery/piapi-client.js';

/** A queue of `count` items and a clock that each checked batch moves on `batchMs`. */
function rig(count: number, batchMs: number) {
  let now = 0;
  const queue = Array.from({ length: count }, (_, i) => i);
  const batches: Array<{ at: number; items: number[] }> = [];
  const take = async (wanted: number): Promise<number[]> => queue.splice(0, wanted);
  const checkBatch = async (items: readonly number[]): Promise<void> => {
    batches.push({ at: now, items: [...items] });
    now += batchMs;
  };
  const plan = (overrides: Partial<BatchPlan>): BatchPlan => ({
    deadlineAt: Number.POSITIVE_INFINITY,
    limit: Number.POSITIVE_INFINITY,
    batchSize: 3,
    lookupMs: 1000,
    now: () => now,
    ...overrides,
  });
  return { take, checkBatch, plan, batches, queue };
}

describe('runBatches', () => {
  it('takes batches of batchSize until take runs out, and says it did not stop early', async () => {
    const { take, checkBatch, plan, batches } = rig(7, 10);
    expect(await runBatches(take, checkBatch, plan({}))).toEqual({ checked: 7, stopped: false });
    expect(batches.map((batch) => batch.items)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it('takes no batch whose lookups could end after the deadline, and leaves the rest untaken', async () => {
    const { take, checkBatch, plan, batches, queue } = rig(20, 2000);
    // Batches starting at 0, 2000 and 4000 end by 5000 at worst; one starting at 6000 could end at 7000, past 6500.
    expect(await runBatches(take, checkBatch, plan({ deadlineAt: 6500 }))).toEqual({ checked: 9, stopped: true });
    expect(batches.map((batch) => batch.at)).toEqual([0, 2000, 4000]);
    expect(queue).toHaveLength(11);
  });

  it('takes at most limit items, the last batch cut to fit', async () => {
    const { take, checkBatch, plan, batches, queue } = rig(10, 1);
    expect(await runBatches(take, checkBatch, plan({ limit: 5 }))).toEqual({ checked: 5, stopped: true });
    expect(batches.map((batch) => batch.items.length)).toEqual([3, 2]);
    expect(queue).toHaveLength(5);
  });
});

describe('beforeDeadline', () => {
  it('passes a lookup through when it answers in time, and the same promise without a deadline', async () => {
    const found: TaskLookup = { kind: 'found', task: { task_id: 't' } };
    await expect(beforeDeadline('t', Promise.resolve(found), Date.now() + 60_000, Date.now)).resolves.toBe(found);
    const lookup = Promise.resolve(found);
    expect(beforeDeadline('t', lookup, Number.POSITIVE_INFINITY, Date.now)).toBe(lookup);
  });

  it('answers unavailable, naming the deadline, when the lookup is still running at it', async () => {
    const never = new Promise<TaskLookup>(() => undefined);
    const lookup = await beforeDeadline('t-1', never, Date.now() + 20, Date.now);
    expect(lookup).toMatchObject({ kind: 'unavailable', error: { taskId: 't-1' } });
    expect(lookup.kind === 'unavailable' && lookup.error.message).toMatch(/before reconcile's deadline/);
  });
});
