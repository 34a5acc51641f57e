import { PiapiTaskLookupError, type TaskLookup } from './piapi-client.js';

/** How far one run of checks may go, and what it may assume of a lookup. */
export interface BatchPlan {
  /** When the run must be done, in ms of `now`; `Infinity` for no deadline. */
  readonly deadlineAt: number;
  /** The most items the run checks. */
  readonly limit: number;
  /** How many items are taken and checked at once: the lookups the client runs at once. */
  readonly batchSize: number;
  /** The longest one lookup's request may take. */
  readonly lookupMs: number;
  readonly now: () => number;
}

/**
 * Checks items a batch at a time while `plan` allows. A batch is only taken
 * while its lookups can end by the deadline, so an item is never taken (a
 * watched task's next check pushed back) without being checked in this run.
 *
 * @param take - up to `count` items; fewer once none are left
 * @param checkBatch - checks the items of one batch; never rejects
 * @returns how many were checked, and whether the run stopped (limit or deadline) before `take` ran out
 */
export async function runBatches<T>(
  take: (count: number) => Promise<readonly T[]>,
  checkBatch: (items: readonly T[]) => Promise<void>,
  plan: BatchPlan,
): Promise<{ checked: number; stopped: boolean }> {
  let checked = 0;
  for (;;) {
    const wanted = Math.min(plan.limit - checked, plan.batchSize);
    if (wanted <= 0 || plan.now() + plan.lookupMs > plan.deadlineAt) return { checked, stopped: true };
    const batch = await take(wanted);
    await checkBatch(batch);
    checked += batch.length;
    if (batch.length < wanted) return { checked, stopped: false };
  }
}

/**
 * A lookup that ends by `deadlineAt`: the client's retries may outlast one
 * request's timeout. Past the deadline the lookup is abandoned (its answer,
 * if one comes, is ignored) and reported as unavailable.
 *
 * @param lookup - the get-task lookup under way
 * @param deadlineAt - in ms of `now`; `Infinity` returns `lookup` as it is
 */
export function beforeDeadline(
  taskId: string,
  lookup: Promise<TaskLookup>,
  deadlineAt: number,
  now: () => number,
): Promise<TaskLookup> {
  if (deadlineAt === Number.POSITIVE_INFINITY) return lookup;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<TaskLookup>((resolve) => {
    const error = new PiapiTaskLookupError(
      `PiAPI get-task for ${taskId}: no answer before reconcile's deadline`,
      taskId,
    );
    timer = setTimeout(() => resolve({ kind: 'unavailable', error }), Math.max(0, deadlineAt - now()));
    (timer as { unref?: () => void }).unref?.();
  });
  return Promise.race([lookup, late]).finally(() => clearTimeout(timer));
}
