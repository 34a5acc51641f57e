import type { PiapiWebhookContext } from './types.js';

/** A task whose handler is waiting or running, as `drain()` reports it. */
export interface PendingHandler {
  readonly taskId: string;
  readonly status: string;
  readonly deliveryKey: string;
}

/** What `drain()` resolves with. */
export interface DrainReport {
  /** True when the timeout passed before every handler settled. */
  readonly timedOut: boolean;
  /** The handlers still waiting or running when `drain()` resolved (empty unless it timed out). */
  readonly pending: readonly PendingHandler[];
}

/** A place held for one accepted delivery, from before its claim until its handler settles. */
export interface Reservation {
  /**
   * Starts `work` once fewer than `maxConcurrency` handlers are running. `work`
   * must call `done` exactly once, when it has settled; the place is then given back.
   */
  start(work: (done: () => void) => void): void;
  /** Gives the place back without running anything (the delivery was a duplicate). */
  cancel(): void;
}

export type ReserveResult = { readonly ok: true; readonly reservation: Reservation } | { readonly ok: false; readonly reason: 'overloaded' | 'draining' };

export interface Scheduler {
  /** Holds a place, unless running and waiting handlers are both full, or a drain has begun. */
  reserve(taskId: string, status: string, context: PiapiWebhookContext): ReserveResult;
  /** Refuses new reservations, then resolves once every held place is given back, or at the timeout. */
  drain(timeoutMs: number): Promise<DrainReport>;
}

/**
 * Bounds the handlers: at most `maxConcurrency` run at once and at most
 * `maxQueue` more wait. Every accepted delivery holds a place until its handler
 * settles, so nothing accepted is dropped and memory stays bounded.
 */
export function createScheduler(maxConcurrency: number, maxQueue: number): Scheduler {
  const held = new Set<PendingHandler>();
  const waiting: Array<() => void> = [];
  const idleListeners: Array<() => void> = [];
  let running = 0;
  let draining = false;

  function giveBack(entry: PendingHandler): void {
    held.delete(entry);
    if (held.size === 0) for (const notify of idleListeners.splice(0)) notify();
  }

  function startNext(): void {
    running -= 1;
    waiting.shift()?.();
  }

  return {
    reserve(taskId, status, context) {
      if (draining) return { ok: false, reason: 'draining' };
      if (held.size >= maxConcurrency + maxQueue) return { ok: false, reason: 'overloaded' };
      const entry: PendingHandler = { taskId, status, deliveryKey: context.deliveryKey };
      held.add(entry);
      return {
        ok: true,
        reservation: {
          cancel: () => giveBack(entry),
          start: (work) => {
            const launch = (): void => {
              running += 1;
              work(() => {
                giveBack(entry);
                startNext();
              });
            };
            if (running < maxConcurrency) launch();
            else waiting.push(launch);
          },
        },
      };
    },

    drain(timeoutMs) {
      draining = true;
      return new Promise((resolve) => {
        const finish = (timedOut: boolean): void => {
          clearTimeout(timer);
          resolve({ timedOut, pending: timedOut ? [...held] : [] });
        };
        const timer = setTimeout(() => finish(true), timeoutMs);
        if (held.size === 0) finish(false);
        else idleListeners.push(() => finish(false));
      });
    },
  };
}
