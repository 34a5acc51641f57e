import { PiapiWebhookHandlerTimeoutError } from './errors.js';
import { isThenable } from './maybe.js';
import { startTimer } from './timers.js';
import type { PiapiTask, PiapiWebhookContext } from './types.js';

/**
 * Runs `handler(task, context)` and calls `done` exactly once: `(true)` when it
 * succeeded, `(false, error)` when it threw, rejected, returned a hostile
 * thenable, or ran past `timeoutMs`. A synchronous handler costs no promise,
 * no timer and no closure.
 */
export function runHandler(
  handler: (task: PiapiTask, context: PiapiWebhookContext) => unknown,
  task: PiapiTask,
  context: PiapiWebhookContext,
  timeoutMs: number,
  done: (succeeded: boolean, error?: unknown) => void,
): void {
  let result: unknown;
  try {
    result = handler(task, context);
    if (!isThenable(result)) {
      done(true);
      return;
    }
  } catch (error) {
    // Also what a `then` getter that throws lands on.
    done(false, error);
    return;
  }
  let settled = false;
  const settle = (succeeded: boolean, error?: unknown): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    done(succeeded, error);
  };
  const timer = startTimer(() => settle(false, new PiapiWebhookHandlerTimeoutError(timeoutMs)), timeoutMs);
  // Promise.resolve adopts the thenable safely: a throwing `then` becomes a rejection.
  Promise.resolve(result).then(
    () => settle(true),
    (error: unknown) => settle(false, error),
  );
}
