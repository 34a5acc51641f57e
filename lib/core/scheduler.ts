import { startTimer } from './timers.js';

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

/** The places of accepted deliveries, and the handlers they run. */
export interface Scheduler {
  /**
   * Holds a place for an accepted delivery, from before its claim until its
   * handler settles; refused when running and waiting handlers are both full, or
   * once a drain has begun.
   */
  reserve(taskId: string, status: string, deliveryKey: string): PendingHandler | 'overloaded' | 'draining';
  /**
   * Starts `work` (the handler of a reserved place) once fewer than
   * `maxConcurrency` handlers are running. Once it has settled, `finish(place)`
   * must be called, exactly once.
   */
  start(work: () => void): void;
  /** The work started in `place` has settled: gives its place back, and starts the next waiting one. */
  finish(place: PendingHandler): void;
  /** Gives a place back without running anything (the delivery was a duplicate). */
  cancel(place: PendingHandler): void;
  /** Refuses new reservations, then resolves once every held place is given back, or at the timeout. */
  drain(timeoutMs: number): Promise<DrainReport>;
  /** Resolves once every place held now has been given back; later ones are not waited for. */
  settled(): Promise<void>;
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
  // settled(): each waits for the places held when it was called.
  const settleWaiters = new Set<{ remaining: Set<PendingHandler>; notify: () => void }>();
  let running = 0;
  let draining = false;

  function giveBack(place: PendingHandler): void {
    held.delete(place);
    for (const waiter of settleWaiters) {
      waiter.remaining.delete(place);
      if (waiter.remaining.size === 0) {
        settleWaiters.delete(waiter);
        waiter.notify();
      }
    }
    if (held.size === 0) for (const notify of idleListeners.splice(0)) notify();
  }

  function run(work: () => void): void {
    running += 1;
    work();
  }

  return {
    reserve(taskId, status, deliveryKey) {
      if (draining) return 'draining';
      if (held.size >= maxConcurrency + maxQueue) return 'overloaded';
      const place: PendingHandler = { taskId, status, deliveryKey };
      held.add(place);
      return place;
    },

    start(work) {
      if (running < maxConcurrency) run(work);
      else waiting.push(work);
    },

    finish(place) {
      giveBack(place);
      running -= 1;
      const next = waiting.shift();
      if (next !== undefined) run(next);
    },

    cancel: giveBack,

    drain(timeoutMs) {
      draining = true;
      return new Promise((resolve) => {
        const finish = (timedOut: boolean): void => {
          clearTimeout(timer);
          resolve({ timedOut, pending: timedOut ? [...held] : [] });
        };
        // Infinity (or any huge value) waits for ever, instead of overflowing into "now".
        const timer = Number.isFinite(timeoutMs) ? startTimer(() => finish(true), timeoutMs, true) : undefined;
        if (held.size === 0) finish(false);
        else idleListeners.push(() => finish(false));
      });
    },

    settled() {
      if (held.size === 0) return Promise.resolve();
      return new Promise((notify) => settleWaiters.add({ remaining: new Set(held), notify }));
    },
  };
}
