import type { MaybePromise } from './maybe.js';
import type { Platform } from './platform.js';

export type { MaybePromise } from './maybe.js';
import type { PiapiTask } from './types.js';

const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed']);

/** Whether a (lowercase) status ends the task: PiAPI sends nothing new after it. */
export function isTerminalStatus(status: string): boolean {
  return TERMINAL_STATUSES.has(status);
}

/**
 * The key a delivery is deduplicated under: a 32-character hash, so a huge
 * `task_id` costs a store no more than a short one.
 *
 * - A terminal status (`completed`, `failed`) is keyed by the task alone: a task
 *   ends once, even if PiAPI re-sends its end with a new timestamp, and a task
 *   recovered through get-task meets the webhook's key.
 * - Any other status is keyed by task, status and timestamp: a retry reuses its
 *   timestamp (a duplicate), while a new progress report carries a new one (news).
 *
 * The task id is length-prefixed, so no choice of id and status can make two
 * different deliveries hash the same text.
 */
export function deliveryKey(task: PiapiTask, timestamp: number, platform: Platform): string {
  const id = `${task.task_id.length}:${task.task_id}`;
  return platform.keyHash(isTerminalStatus(task.status) ? `${id}:end` : `${id}:${task.status}:${timestamp}`);
}

/** What a claim found. */
export type ClaimResult =
  /**
   * The delivery is yours: run it. `attempt` counts claims of this key, from 1.
   * `watchDropped`: the watch asked for in the same step was not recorded (the store is full of watched tasks).
   */
  | { readonly state: 'claimed'; readonly attempt: number; readonly watchDropped?: boolean }
  /** Another owner holds a live lease on it. */
  | { readonly state: 'in_progress' }
  /** Its handler has already succeeded. */
  | { readonly state: 'done' }
  /** The store is full of keys it must not forget yet: refuse rather than forget one. */
  | { readonly state: 'full' };

/** A task the app waits for, as the store keeps it for recovery. */
export interface WatchedTask {
  readonly taskId: string;
  /** When it was first watched, in milliseconds from the middleware's clock. */
  readonly watchedAt: number;
  /** How many get-task checks (or recovery attempts) it has had. */
  readonly checks: number;
}

/** Asks a claim to also watch the delivery's task, in the same step. */
export interface WatchRequest {
  readonly taskId: string;
  /** When its first check is due, in ms. */
  readonly dueAt: number;
  /** Now, in ms: recorded as `watchedAt` if the task was not watched yet. */
  readonly now: number;
}

/**
 * Where delivery keys and watched tasks are kept: `memoryStore()` (the default,
 * one process) or `redisStore()` (shared by instances, survives restarts). Every
 * method may answer synchronously or with a promise.
 *
 * A delivery key is **free**, **in progress** (held by one owner, with a lease
 * that the owner renews while `onTask` runs, and that expires within seconds of
 * the owner's death), or **done** (remembered for the dedupe TTL). Only the
 * current owner may renew, complete or release: owner tokens are unique per claim.
 *
 * Every method must be atomic, across all instances sharing the store.
 */
export interface DedupeStore {
  /**
   * Takes `key` for `owner` if it is free (or its lease has expired), with a
   * lease of `leaseMs`; watches `watch.taskId` too, in the same step, if asked
   * and not watched yet.
   *
   * An expired lease is taken over as the next attempt (`attempt` n + 1), like a
   * released key: so a store keeps a leased key, expired or not, for at least
   * `ttlSeconds` (the dedupe TTL, which the middleware passes). A store written
   * before `ttlSeconds` existed ignores it and still works, but may count a
   * takeover after a crash as attempt 1.
   */
  claim(
    key: string,
    owner: string,
    leaseMs: number,
    watch?: WatchRequest,
    ttlSeconds?: number,
  ): MaybePromise<ClaimResult>;
  /**
   * Extends `owner`'s lease on `key` to `leaseMs` from now. A key that is gone
   * (a Redis flush, a restart with no data) is taken back for `owner`, as attempt
   * `attempt`. False only when another owner holds it, or it is done or
   * released: then the lease is lost.
   */
  renew(key: string, owner: string, leaseMs: number, attempt?: number): MaybePromise<boolean>;
  /**
   * Marks `key` done for `ttlSeconds` (its handler succeeded) and stops watching
   * `unwatchTaskId`, if given. Refused (false) only when another owner holds a
   * live lease on it.
   */
  complete(key: string, owner: string, ttlSeconds: number, unwatchTaskId?: string): MaybePromise<boolean>;
  /**
   * Frees `key` after a failed handler, so that a retry or the recovery runs it
   * again; the attempt count is kept for `ttlSeconds`. False when `owner` no
   * longer holds it (a lease that expired but that nobody took over is still held).
   */
  release(key: string, owner: string, ttlSeconds: number): MaybePromise<boolean>;
  /**
   * Watches `taskId` from `now`, first due at `dueAt` (ms), unless it is watched
   * already. Answers `false` when it cannot (a store full of watched tasks), so
   * that `watch()` can say so; `true` or nothing otherwise.
   */
  watch(taskId: string, dueAt: number, now: number): MaybePromise<boolean | void>;
  /** Stops watching `taskId`. */
  unwatch(taskId: string): MaybePromise<void>;
  /**
   * Takes up to `limit` watched tasks due at `now`, and pushes their next due
   * time to `leaseUntil`, atomically, so that one instance checks a given task.
   */
  takeDueWatches(now: number, limit: number, leaseUntil: number): MaybePromise<readonly WatchedTask[]>;
  /** Sets a watched task's next check and its count of checks; no-op when it is not watched. */
  rescheduleWatch(taskId: string, dueAt: number, checks: number): MaybePromise<void>;
  /**
   * Optional: deletes up to `limit` expired entries, for stores whose entries do
   * not expire by themselves (SQL). The recovery's sweep calls it once per sweep.
   * Resolves to how many were deleted.
   */
  purgeExpired?(now: number, limit: number): MaybePromise<number>;
  /**
   * Optional: the middleware passes a reporter for failures the store sees
   * outside any call (a Redis client's `'error'` events), so that they reach
   * `onError` instead of crashing the process.
   */
  setErrorReporter?(report: (error: unknown) => void): void;
  /**
   * Optional: the middleware passes a listener to call when the store can
   * answer again after an outage (a Redis client's `'ready'`), so that it stops
   * skipping the store at once instead of at the end of `storeCooldownMs`.
   */
  setReadyListener?(listener: () => void): void;
}
