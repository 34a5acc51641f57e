import { PiapiWebhookHandlerTimeoutError } from './errors.js';
import { isThenable } from './maybe.js';
import { startTimer } from './timers.js';

/**
 * Runs `handler` and calls `done` exactly once: `(true)` when it succeeded,
 * `(false, error)` when it threw, rejected, returned a hostile thenable, or ran
 * past `timeoutMs`. A synchronous handler costs no promise and no timer.
 */
export function runHandler(handler: () => unknown, timeoutMs: number, done: (succeeded: boolean, error?: unknown) => void): void {
  let settled = false;
  const settle = (succeeded: boolean, error?: unknown): void => {
    if (settled) return;
    settled = true;
    done(succeeded, error);
  };
  let result: unknown;
  try {
    result = handler();
    if (!isThenable(result)) {
      settle(true);
      return;
    }
  } catch (error) {
    // Also what a `then` getter that throws lands on.
    settle(false, error);
    return;
  }
  const timer = startTimer(() => settle(false, new PiapiWebhookHandlerTimeoutError(timeoutMs)), timeoutMs);
  // Promise.resolve adopts the thenable safely: a throwing `then` becomes a rejection.
  Promise.resolve(result).then(
    () => {
      clearTimeout(timer);
      settle(true);
    },
    (error: unknown) => {
      clearTimeout(timer);
      settle(false, error);
    },
  );
}
