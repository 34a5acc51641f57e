import { isTerminalStatus, type ClaimResult, type WatchRequest } from './dedupe.js';
import type { MaybePromise } from './maybe.js';
import { createLeaseKeeper } from './leases.js';
import { andThen } from './maybe.js';
import type { ReceiverConfig } from './options.js';
import { createOutageMemory } from './outage-memory.js';
import { StoreFailure, type StoreGuard } from './store-guard.js';
import type { PiapiTask, PiapiWebhookContext } from './types.js';

/** Why a task could not be watched: see the `watch_dropped` outcome. */
export type WatchDropReason = 'store_full' | 'store_failed';

/** A delivery's claim, its lease, and its end, in the store, or in this process while the store is down. */
export interface Claims {
  /** Claims the delivery for `owner` and holds its lease. A store that cannot answer is stood in for by this process. */
  claim(task: PiapiTask, context: PiapiWebhookContext, owner: string): MaybePromise<ClaimResult>;
  /** Records the delivery done; false when another instance had taken its lease over. */
  complete(task: PiapiTask, context: PiapiWebhookContext, owner: string): MaybePromise<boolean>;
  /** Frees the delivery, so that a retry or the recovery runs it again. */
  release(task: PiapiTask, context: PiapiWebhookContext, owner: string): MaybePromise<unknown>;
  /** Writes to the store what this process kept during an outage; resolves once done, or at the next failure. */
  record(): Promise<void>;
}

/** The most deliveries remembered in this process during a store outage (about 200 bytes each). */
const OUTAGE_MEMORY_MAX = 10_000;

/** What a claim stands for when neither the store nor this process can remember it: handling twice is recoverable, losing is not. */
const CLAIMED_UNCHECKED: ClaimResult = Object.freeze({ state: 'claimed', attempt: 1 });

/** Task ids longer than this are not watched: PiAPI's are UUIDs, and a watch keeps the id itself. */
const MAX_WATCHED_ID_LENGTH = 256;

/**
 * Dedupe through the store, behind its guard. While the store cannot answer,
 * the deliveries this process takes, completes or releases are kept in a
 * bounded memory, so that copies reaching this instance are still deduped;
 * once the store answers again (`record()`, called by the guard), they are
 * written to it, so that neither a later copy nor the recovery runs them again.
 *
 * @param onWatchDropped - told when a delivery's automatic watch could not be recorded
 */
export function createClaims(
  config: ReceiverConfig,
  guard: StoreGuard,
  onLeaseLost: (key: string) => void,
  onWatchDropped: (task: PiapiTask, context: PiapiWebhookContext, reason: WatchDropReason) => void,
): Claims {
  const { store } = config;
  const memory = createOutageMemory(OUTAGE_MEMORY_MAX);
  // A key taken during an outage is renewed like any other: once the store is back, RENEW re-creates it for its owner.
  const leases = createLeaseKeeper(
    config.leaseMs,
    (key, owner, attempt) => guard.call('renew', () => store.renew(key, owner, config.leaseMs, attempt), true),
    onLeaseLost,
  );
  let recording: Promise<void> | undefined;

  function watchRequest(task: PiapiTask, now: number): WatchRequest | undefined {
    if (config.recovery === undefined || task.task_id.length > MAX_WATCHED_ID_LENGTH) return undefined;
    return { taskId: task.task_id, dueAt: now + config.recovery.checkAfterMs, now };
  }

  /** Holds the lease of a claimed delivery, and passes the claim on. */
  function holdLease(claimed: ClaimResult, key: string, owner: string): ClaimResult {
    // Renewed from the claim on, not from the handler's start: a delivery waiting in the queue
    // longer than the lease must not look abandoned to other instances or to the recovery.
    if (claimed.state === 'claimed') leases.hold(key, owner, claimed.attempt);
    return claimed;
  }

  function claimed(
    result: ClaimResult | StoreFailure,
    task: PiapiTask,
    context: PiapiWebhookContext,
    owner: string,
    watch: WatchRequest | undefined,
  ): ClaimResult {
    const key = context.deliveryKey;
    if (!(result instanceof StoreFailure)) {
      if (result.state === 'claimed' && result.watchDropped === true) onWatchDropped(task, context, 'store_full');
      return holdLease(result, key, owner);
    }
    const taken = memory.take(key, owner, watch);
    if (taken !== undefined) return holdLease(taken, key, owner);
    if (watch !== undefined) onWatchDropped(task, context, 'store_failed');
    return holdLease(CLAIMED_UNCHECKED, key, owner);
  }

  async function writeHeld(): Promise<void> {
    for (const [key, held] of [...memory.entries()]) {
      // A terminal task recorded done is unwatched in the same step: no watch to write first.
      if (held.watch !== undefined && held.unwatch === undefined) {
        const { taskId, dueAt, now } = held.watch;
        if ((await guard.attempt('watch', () => store.watch(taskId, dueAt, now))) instanceof StoreFailure) return;
      }
      held.watch = undefined;
      // Still running: its lease is put back by the next renewal, and its end is recorded as usual.
      if (held.state === 'leased') continue;
      if (held.state === 'done') {
        const { owner, unwatch } = held;
        const recorded = await guard.attempt('complete', () =>
          store.complete(key, owner, config.dedupeTtlSeconds, unwatch),
        );
        if (recorded instanceof StoreFailure) return;
      }
      memory.forget(key, held);
    }
  }

  function record(): Promise<void> {
    if (memory.size === 0) return Promise.resolve();
    recording ??= writeHeld().finally(() => (recording = undefined));
    return recording;
  }

  return {
    claim(task, context, owner) {
      const key = context.deliveryKey;
      // A copy of a delivery kept here during an outage: answered here until the store has it.
      const local = memory.size === 0 ? undefined : memory.claim(key, owner);
      if (local !== undefined) {
        if (guard.open) void record();
        return holdLease(local, key, owner);
      }
      const watch = watchRequest(task, context.receivedAt);
      const result = guard.attempt(
        'claim',
        () => store.claim(key, owner, config.leaseMs, watch, config.dedupeTtlSeconds),
        task,
        context,
      );
      return andThen(result, (answer) => claimed(answer, task, context, owner, watch));
    },

    complete(task, context, owner) {
      const key = context.deliveryKey;
      leases.drop(key);
      // A task stays watched until the handler of its end has succeeded.
      const unwatch = isTerminalStatus(task.status) && config.recovery !== undefined ? task.task_id : undefined;
      const recorded = guard.attempt(
        'complete',
        () => store.complete(key, owner, config.dedupeTtlSeconds, unwatch),
        task,
        context,
      );
      return andThen(recorded, (answer) => {
        if (answer instanceof StoreFailure) {
          memory.complete(key, owner, unwatch);
          return true;
        }
        if (memory.size > 0) memory.forget(key);
        return answer;
      });
    },

    release(task, context, owner) {
      const key = context.deliveryKey;
      leases.drop(key);
      const released = guard.attempt(
        'release',
        () => store.release(key, owner, config.dedupeTtlSeconds),
        task,
        context,
      );
      return andThen(released, (answer) => {
        if (answer instanceof StoreFailure) memory.release(key, owner);
        else if (memory.size > 0) memory.forget(key);
      });
    },

    record,
  };
}
