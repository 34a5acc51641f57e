import { isTerminalStatus, type WatchedTask } from '../core/dedupe.js';
import { PiapiWebhookRejection } from '../core/errors.js';
import type { ReceiverConfig } from '../core/options.js';
import { parseNotification } from '../core/parse.js';
import type { Confirmation, Pipeline } from '../core/pipeline.js';
import type { RecoveryConfig } from './options.js';
import type { PiapiNotification, PiapiTask } from '../core/types.js';
import type { TaskLookup } from './piapi-client.js';

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
}

/** The recovery controls the middleware exposes. */
export interface Recovery {
  watch(taskId: string, checkAfterMs?: number): Promise<void>;
  reconcile(taskIds?: readonly string[]): Promise<ReconcileReport>;
  /** For `recovery.verify`: PiAPI's own copy of a webhook's terminal task. */
  confirm(task: PiapiTask): Promise<Confirmation>;
  /** Starts the sweep timer, once; a no-op with `intervalSeconds: 0` or after `stop()`. */
  start(): void;
  /** Stops the sweep timer (drain). */
  stop(): void;
}

/** How many due tasks one sweep takes from the store; the client's concurrency bounds the requests. */
const SWEEP_BATCH = 100;
/** How many expired rows one sweep asks a store to delete (see `DedupeStore.purgeExpired`). */
const PURGE_BATCH = 1000;

type Verdict = 'recovered' | 'alreadyHandled' | 'pending' | 'failed' | 'gaveUp';

/**
 * Recovery through PiAPI's get-task API: a sweep of watched tasks that are
 * due, `reconcile()` on demand, and `recovery.verify`. Terminal tasks go
 * through the same pipeline as webhooks, with `ctx.source: 'recovery'`.
 *
 * @param getTask - the get-task client (see `createPiapiClient`)
 */
export function createRecovery(
  config: ReceiverConfig,
  recovery: RecoveryConfig,
  pipeline: () => Pipeline,
  getTask: (taskId: string) => Promise<TaskLookup>,
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

  async function later(
    taskId: string,
    checks: number,
    verdict: Verdict,
    error?: unknown,
    retryAfterMs?: number,
  ): Promise<Verdict> {
    const nextCheckAt = config.now() + Math.max(retryAfterMs ?? 0, backoff(checks));
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
  async function check(taskId: string, watched: WatchedTask | undefined): Promise<Verdict> {
    const checks = watched?.checks ?? 0;
    if (watched !== undefined && config.now() - watched.watchedAt > recovery.maxAgeMs) return giveUp(taskId, 'max_age');
    const lookup = await getTask(taskId);
    if (lookup.kind === 'not_found') return giveUp(taskId, 'not_found');
    if (lookup.kind === 'unavailable') return later(taskId, checks, 'failed', lookup.error, lookup.retryAfterMs);
    const notification = asNotification(lookup.task);
    if (notification === undefined)
      return later(taskId, checks, 'failed', new Error('get-task answered something that is not a PiAPI task'));
    if (!isTerminalStatus(notification.data.status)) {
      // An id the app passed in is unfinished: watch it, so later sweeps see its end.
      if (watched === undefined) await pipeline().watch(taskId, backoff(0));
      return later(taskId, checks, 'pending');
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
        return later(taskId, checks, 'pending');
      case 'failed':
        return later(taskId, checks, 'failed', result.error);
      case 'rejected':
        return later(taskId, checks, 'failed', new PiapiWebhookRejection(result.reason, result.message));
    }
  }

  async function checkAll(
    tasks: ReadonlyArray<{ taskId: string; watched: WatchedTask | undefined }>,
  ): Promise<ReconcileReport> {
    const report: Record<Verdict, string[]> = {
      recovered: [],
      alreadyHandled: [],
      pending: [],
      failed: [],
      gaveUp: [],
    };
    await Promise.all(
      tasks.map(async ({ taskId, watched }) => {
        let verdict: Verdict;
        try {
          verdict = await check(taskId, watched);
        } catch (error) {
          pipeline().reportError(error);
          verdict = 'failed';
        }
        report[verdict].push(taskId);
      }),
    );
    return { checked: tasks.length, ...report };
  }

  async function sweep(): Promise<ReconcileReport> {
    const now = config.now();
    // Taking a task pushes its next check past this instance's own check, so one instance polls it.
    const leaseUntil = now + Math.max(config.leaseMs, 3 * recovery.requestTimeoutMs);
    const due = await pipeline().callStore(
      'takeDueWatches',
      () => config.store.takeDueWatches(now, SWEEP_BATCH, leaseUntil),
      [],
    );
    const report = checkAll(due.map((watched) => ({ taskId: watched.taskId, watched })));
    // A store whose rows do not expire by themselves (sqlStore) deletes one bounded batch per sweep.
    const { store } = config;
    if (store.purgeExpired !== undefined) {
      await pipeline().callStore('purgeExpired', () => store.purgeExpired!(now, PURGE_BATCH), 0);
    }
    return report;
  }

  let timer: ReturnType<typeof setInterval> | undefined;
  let stopped = false;

  function tick(): void {
    // One sweep at a time: a slow PiAPI must not pile sweeps up.
    sweeping ??= sweep()
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
    reconcile(taskIds) {
      if (taskIds === undefined) return sweep();
      const unique = [...new Set(taskIds)];
      return checkAll(unique.map((taskId) => ({ taskId, watched: undefined })));
    },
    async confirm(task) {
      const lookup = await getTask(task.task_id);
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
