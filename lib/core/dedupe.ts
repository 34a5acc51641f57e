import type { PiapiTask } from './types.js';

const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed']);

/** Whether a (lowercase) status ends the task: PiAPI sends nothing new after it. */
export function isTerminalStatus(status: string): boolean {
  return TERMINAL_STATUSES.has(status);
}

/**
 * The key a delivery is deduplicated under.
 *
 * - A terminal status (`completed`, `failed`) is keyed by the task alone: a task
 *   ends once, even if PiAPI re-sends its end with a new timestamp.
 * - Any other status is keyed by task, status and timestamp: a retry reuses its
 *   timestamp (a duplicate), while a new progress report carries a new one (news).
 *
 * The task id is length-prefixed so that no choice of id and status can make two
 * different deliveries share a key.
 */
export function deliveryKey(task: PiapiTask, timestamp: number): string {
  const id = `${task.task_id.length}:${task.task_id}`;
  return isTerminalStatus(task.status) ? `${id}:end` : `${id}:${task.status}:${timestamp}`;
}

/**
 * Where delivery keys are remembered. The default is the in-process
 * `memoryStore()`; `redisStore()` shares the keys between instances. Either
 * method may answer synchronously or with a promise.
 */
export interface DedupeStore {
  /**
   * Records `key` if it is new. Must be atomic: of concurrent claims of one key,
   * exactly one may return true.
   *
   * @param key - the delivery key
   * @param ttlSeconds - the least time the key must be remembered
   * @returns true the first time (go ahead), false while the key is remembered
   */
  claim(key: string, ttlSeconds: number): boolean | Promise<boolean>;
  /**
   * Forgets a claim whose handling failed, so that PiAPI's retry is processed.
   * @param key - a key this store returned true for
   */
  release(key: string): void | Promise<void>;
}
