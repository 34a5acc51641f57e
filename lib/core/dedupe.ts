import { LRUCache } from 'lru-cache';
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

/** Remembers delivery keys in a bounded LRU cache with a time-to-live. */
export interface DeliveryMemory {
  /** Records `key` and returns true the first time; false while it is remembered. */
  claim(key: string): boolean;
  /** How many keys are remembered now. */
  readonly size: number;
}

/**
 * The embedded dedupe store: an in-process LRU. It never holds more than `max`
 * keys, so its memory is bounded however many deliveries arrive.
 *
 * @param max - the most keys remembered at once
 * @param ttlSeconds - how long a key is remembered
 * @param now - the clock, in milliseconds
 */
export function createDeliveryMemory(max: number, ttlSeconds: number, now: () => number): DeliveryMemory {
  // ttlResolution 0: read the clock on every check, so an injected clock is honoured at once.
  const cache = new LRUCache<string, true>({ max, ttl: ttlSeconds * 1000, ttlResolution: 0, perf: { now } });
  return {
    claim(key) {
      // has + set is atomic here: both run in one turn of the event loop.
      if (cache.has(key)) return false;
      cache.set(key, true);
      return true;
    },
    get size() {
      return cache.size;
    },
  };
}
