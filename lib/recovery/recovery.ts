import { isTerminalStatus, type WatchedTask } from '../core/dedupe.js';
import { PiapiWebhookRejection } from '../core/errors.js';
import type { ReceiverConfig } from '../core/options.js';
import { startTimer } from '../core/timers.js';
import { parseNotification } from '../core/parse.js';
import type { Confirmation, Pipeline } from '../core/pipeline.js';
import type { RecoveryConfig } from './options.js';
import type { PiapiNotification, PiapiTask } from '../core/types.js';
import type { TaskLookup } from './piapi-client.js';
import { beforeDeadline, runBatches } from './batches.js';
import type { ReconcileLimits } from './reconcile-options.js';

/** What `reconcile()` did, task by task. */
export interface ReconcileReport {
  /** How many tasks were checked with get-task. */
  readonly checked: number;
  /** Terminal tasks whose `onTask` ran and succeeded now. */
  readonly recovered: readonly string[];
  /** Terminal tasks that had already been handled (nothing ran). */
  readonly alreadyHandled: readonly string[];
  /** Tasks still running at PiAPI (or handled elsewhere right now): checked again later, with back-off. */
  readonly pending: readonly string[];
  /** Checks that failed (get-task unavailable, `onTask` failed, store or capacity refusals): retried later. */
  readonly failed: readonly string[];
  /** Tasks no longer watched without their end handled: unknown to PiAPI, or older than `maxAgeSeconds`. */
  readonly gaveUp: readonly string[];
  /**
   * True when the run stopped at its `limit` or `deadlineMs` with tasks left:
   * due watched tasks still in the store, or ids in `skipped`. Call again.
   */
  readonly more: boolean;
  /** Ids passed to `reconcile(ids)` that the run did not reach (its `limit` or `deadlineMs`): pass them again. */
  readonly skipped: readonly string[];
}

/** The recovery controls the middleware exposes. */
export interface Recovery {
  watch(taskId: string, checkAfterMs?: number): Promise<void>;
  reconcile(taskIds?: readonly string[], limits?: ReconcileLimits): Promise<ReconcileReport>;
  /**
   * For `recovery.verify`: PiAPI's own copy of a webhook's terminal task. One
   * lookup, bounded by `requestTimeoutMs`: a webhook's answer never waits for
   * the sweep's retries and back-offs.
   */
  confirm(this: void, task: PiapiTask): Promise<Confirmation>;
  /** Starts the sweep timer, once; a no-op with `intervalSeconds: 0` or after `stop()`. */
  start(): void;
  /** Stops the sweep timer (drain). */
  stop(): void;
}

/** The most due tasks one timer sweep checks. */
const SWEEP_BATCH = 100;
const UNLIMITED: ReconcileLimits = { deadlineMs: Number.POSITIVE_INFINITY, limit: Number.POSITIVE_INFINITY };
/** How many expired rows one sweep asks a store to delete (see `DedupeStore.purgeExpired`). */
const PURGE_BATCH = 1000;

type Verdict = 'recovered' | 'alreadyHandled' | 'pending' | 'failed' | 'gaveUp';
type Item = { taskId: string; watched: WatchedTask | undefined };

/** Why a get-task answer was refused: it was about another task. Ids are cut short: they are the sender's. */
function wrongTaskMessage(asked: string, answered: string): string {
  return `get-task for ${asked.slice(0, 256)} answered task ${answered.slice(0, 256)}; not handled`;
}

/**
 * Recovery through PiAPI's get-task API: a sweep of watched tasks that are
 * due, `reconcile()` on demand, and `recovery.verify`. Terminal tasks go
 * through the same pipeline as webhooks, with `ctx.source: 'recovery'`.
 *
 * @param getTask - the get-task client of the sweep and `reconcile()`, with retries (see `createPiapiClient`)
 * @param getTaskOnce - the get-task client of `recovery.verify`: one attempt, no back-off
 */
export function createRecovery(
  config: ReceiverConfig,
  recovery: RecoveryConfig,
  pipeline: () => Pipeline,
  getTask: (taskId: string) => Promise<TaskLookup>,
  getTaskOnce: (taskId: string) => Promise<TaskLookup> = getTask,
): Recovery {
  const maxBackoffMs = 10 * recovery.checkAfterMs;
  const backoff = (checks: number): number => Math.min(recovery.checkAfterMs * 2 ** checks, maxBackoffMs);
  let sweeping: Promise<ReconcileReport> | undefined;

  /** A fetched task as a notification, validated like a webhook's body, or undefined when it is not one. */
  function asNotification(task: unknown): PiapiNotification | undefined {
    try {
      return parseNotification({ timestamp: Math.floor(config.now() / 1000), data: task });
    } catch (error) {
      if (error instanceof PiapiWebhookRejection) return undefined;
      throw error;
    }
  }

  /**
   * Schedules the next check: after the back-off, or PiAPI's `Retry-After` when
   * longer, but never past the back-off ceiling (one huge `Retry-After` would
   * park the task for years) nor past `watchedAt + maxAgeSeconds`, where the
   * check gives up and reports it.
   */
  async function later(
    taskId: string,
    checks: number,
    watchedAt: number,
    verdict: Verdict,
    error?: unknown,
    retryAfterMs?: number,
  ): Promise<Verdict> {
    const waitMs = Math.max(Math.min(retryAfterMs ?? 0, maxBackoffMs), backoff(checks));
    const nextCheckAt = Math.min(config.now() + waitMs, watchedAt + recovery.maxAgeMs);
    await pipeline().callStore(
      'rescheduleWatch',
      () => config.store.rescheduleWatch(taskId, nextCheckAt, checks + 1),
      undefined,
    );
    if (verdict === 'failed') pipeline().emit({ type: 'recovery_failed', taskId, error, nextCheckAt });
    return verdict;
  }

  async function giveUp(taskId: string, reason: 'not_found' | 'max_age'): Promise<Verdict> {
    await pipeline().callStore('unwatch', () => config.store.unwatch(taskId), undefined);
    pipeline().emit({ type: 'recovery_gave_up', taskId, reason });
    return 'gaveUp';
  }

  /** Checks one task; `watched` is undefined for an id passed to reconcile() explicitly. */
  async function check(taskId: string, watched: WatchedTask | undefined, deadlineAt: number): Promise<Verdict> {
    const checks = watched?.checks ?? 0;
    // An id passed to reconcile() is watched from now on, if it is not yet.
    const watchedAt = watched?.watchedAt ?? config.now();
    if (watched !== undefined && config.now() - watched.watchedAt >= recovery.maxAgeMs)
      return giveUp(taskId, 'max_age');
    const lookup = await beforeDeadline(taskId, getTask(taskId), deadlineAt, config.now);
    if (lookup.kind === 'not_found') return giveUp(taskId, 'not_found');
    if (lookup.kind === 'unavailable')
      return later(taskId, checks, watchedAt, 'failed', lookup.error, lookup.retryAfterMs);
    const notification = asNotification(lookup.task);
    if (notification === undefined)
      return later(
        taskId,
        checks,
        watchedAt,
        'failed',
        new Error('get-task answered something that is not a PiAPI task'),
      );
    // Never hand onTask another task as the one asked about (a misrouting proxy, a cache keyed wrongly).
    if (notification.data.task_id !== taskId)
      return later(taskId, checks, watchedAt, 'failed', new Error(wrongTaskMessage(taskId, notification.data.task_id)));
    if (!isTerminalStatus(notification.data.status)) {
      // An id the app passed in is unfinished: watch it, so later sweeps see its end.
      if (watched === undefined) await pipeline().watch(taskId, backoff(0));
      return later(taskId, checks, watchedAt, 'pending');
    }
    const result = await pipeline().run(notification, 'recovery');
    switch (result.status) {
      case 'handled':
        pipeline().emit({ type: 'recovered', task: result.task, context: result.context });
        return 'recovered';
      case 'duplicate':
        // Handled already; a watch left over (say, watch() after the end) has nothing left to wait for.
        await pipeline().callStore('unwatch', () => config.store.unwatch(taskId), undefined);
        return 'alreadyHandled';
      case 'in_progress':
        return later(taskId, checks, watchedAt, 'pending');
      case 'failed':
        return later(taskId, checks, watchedAt, 'failed', result.error);
      case 'rejected':
        return later(taskId, checks, watchedAt, 'failed', new PiapiWebhookRejection(result.reason, result.message));
    }
  }

  async function checkBatch(items: readonly Item[], report: Record<Verdict, string[]>, deadlineAt: number) {
    await Promise.all(
      items.map(async ({ taskId, watched }) => {
        let verdict: Verdict;
        try {
          verdict = await check(taskId, watched, deadlineAt);
        } catch (error) {
          pipeline().reportError(error);
          verdict = 'failed';
        }
        report[verdict].push(taskId);
      }),
    );
  }

  /** Checks what `take` gives, a batch of `recovery.concurrency` at a time, within `limits` (see `runBatches`). */
  async function checkWithin(
    take: (count: number) => Promise<readonly Item[]>,
    limits: ReconcileLimits,
  ): Promise<Omit<ReconcileReport, 'more' | 'skipped'> & { stopped: boolean }> {
    const report: Record<Verdict, string[]> = {
      recovered: [],
      alreadyHandled: [],
      pending: [],
      failed: [],
      gaveUp: [],
    };
    const deadlineAt = config.now() + limits.deadlineMs;
    const { checked, stopped } = await runBatches(take, (batch) => checkBatch(batch, report, deadlineAt), {
      deadlineAt,
      limit: limits.limit,
      batchSize: recovery.concurrency,
      lookupMs: recovery.requestTimeoutMs,
      now: config.now,
    });
    return { checked, ...report, stopped };
  }

  /** The due watched tasks; `askMore`: find out, when the run stops early, whether any are left (the timer's sweep need not). */
  async function sweep(limits: ReconcileLimits, askMore = true): Promise<ReconcileReport> {
    // Only tasks due when the run starts: a task rescheduled during the run waits for the next one.
    const startedAt = config.now();
    const takeDue = async (count: number): Promise<readonly WatchedTask[]> => {
      // Taking a task pushes its next check past this instance's own check, so one instance polls it.
      const leaseUntil = config.now() + Math.max(config.leaseMs, 3 * recovery.requestTimeoutMs);
      return pipeline().callStore(
        'takeDueWatches',
        () => config.store.takeDueWatches(startedAt, count, leaseUntil),
        [] as readonly WatchedTask[],
      );
    };
    const { stopped, ...report } = await checkWithin(
      async (count) => (await takeDue(count)).map((watched) => ({ taskId: watched.taskId, watched })),
      limits,
    );
    // A store whose rows do not expire by themselves (sqlStore) deletes one bounded batch per sweep.
    const { store } = config;
    if (store.purgeExpired !== undefined) {
      await pipeline().callStore('purgeExpired', () => store.purgeExpired!(startedAt, PURGE_BATCH), 0);
    }
    if (!stopped || !askMore) return { ...report, more: stopped, skipped: [] };
    // The store has no peek: take one more and give it back, still due, to learn whether any are left.
    const [left] = await takeDue(1);
    if (left !== undefined) {
      await pipeline().callStore(
        'rescheduleWatch',
        () => config.store.rescheduleWatch(left.taskId, startedAt, left.checks),
        undefined,
      );
    }
    return { ...report, more: left !== undefined, skipped: [] };
  }

  async function checkIds(taskIds: readonly string[], limits: ReconcileLimits): Promise<ReconcileReport> {
    const unique = [...new Set(taskIds)];
    let next = 0;
    const { stopped: _stopped, ...report } = await checkWithin((count) => {
      const batch = unique.slice(next, next + count);
      next += batch.length;
      return Promise.resolve(batch.map((taskId) => ({ taskId, watched: undefined })));
    }, limits);
    const skipped = unique.slice(next);
    return { ...report, more: skipped.length > 0, skipped };
  }

  /** The lookup, or `unavailable` once `requestTimeoutMs` has passed (a limiter's queue counts too). */
  function withinRequestTimeout(lookup: Promise<TaskLookup>): Promise<TaskLookup | { kind: 'unavailable' }> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<{ kind: 'unavailable' }>((resolve) => {
      timer = startTimer(() => resolve({ kind: 'unavailable' }), recovery.requestTimeoutMs);
    });
    return Promise.race([lookup, timeout]).finally(() => clearTimeout(timer));
  }

  let timer: ReturnType<typeof setInterval> | undefined;
  let stopped = false;

  function tick(): void {
    // One sweep at a time: a slow PiAPI must not pile sweeps up.
    sweeping ??= sweep({ ...UNLIMITED, limit: SWEEP_BATCH }, false)
      .catch((error: unknown) => {
        pipeline().reportError(error);
        return undefined as never;
      })
      .finally(() => (sweeping = undefined));
  }

  return {
    start() {
      if (timer !== undefined || stopped || recovery.intervalMs === 0) return;
      try {
        timer = setInterval(tick, recovery.intervalMs);
      } catch {
        // Workers refuse timers at module load: the next request or call starts it.
        return;
      }
      (timer as { unref?: () => void }).unref?.();
    },
    async watch(taskId, checkAfterMs = recovery.checkAfterMs) {
      await pipeline().watch(taskId, checkAfterMs);
    },
    reconcile(taskIds, limits = UNLIMITED) {
      return taskIds === undefined ? sweep(limits) : checkIds(taskIds, limits);
    },
    async confirm(task) {
      const lookup = await withinRequestTimeout(getTaskOnce(task.task_id));
      if (lookup.kind === 'unavailable') return { kind: 'unavailable' };
      const copy = lookup.kind === 'found' ? asNotification(lookup.task) : undefined;
      if (copy === undefined || copy.data.task_id !== task.task_id || copy.data.status !== task.status)
        return { kind: 'refused' };
      return { kind: 'confirmed', task: copy.data };
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
