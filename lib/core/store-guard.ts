import type { MaybePromise } from './dedupe.js';
import { PiapiWebhookStoreError, type StoreOperation } from './errors.js';
import { isThenable } from './maybe.js';
import { startTimer } from './timers.js';
import type { PiapiTask, PiapiWebhookContext } from './types.js';

/**
 * How the guard tells about a failure: `opened` is true for the failure that
 * starts a break; `task` and `context` are those the call was made for.
 */
export type StoreFailureReport = (
  error: PiapiWebhookStoreError,
  opened: boolean,
  task?: PiapiTask,
  context?: PiapiWebhookContext,
) => void;

export interface StoreGuard {
  /**
   * Calls the store with a timeout. A failure, a timeout, or a call during a
   * break is reported, and `fallback` stands in for the answer. A store that
   * answers synchronously is not made to wait.
   */
  call<T>(
    operation: StoreOperation,
    run: () => MaybePromise<T>,
    fallback: T,
    task?: PiapiTask,
    context?: PiapiWebhookContext,
  ): MaybePromise<T>;
}

/** Settles like `promise`, or rejects after `ms`. */
function withTimeout<T>(promise: PromiseLike<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = startTimer(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Timeouts and a circuit breaker around every store call. After a failure the
 * store is skipped for `cooldownMs`: an offline Redis client queues commands,
 * and each delivery would otherwise wait the full timeout.
 */
export function createStoreGuard(timeoutMs: number, cooldownMs: number, report: StoreFailureReport): StoreGuard {
  let brokenUntil = 0;

  function failed<T>(
    operation: StoreOperation,
    cause: unknown,
    fallback: T,
    task: PiapiTask | undefined,
    context: PiapiWebhookContext | undefined,
  ): T {
    // Wall-clock time, not the injectable `now`: this is about the store, not about deliveries.
    const opened = Date.now() >= brokenUntil;
    if (opened) brokenUntil = Date.now() + cooldownMs;
    report(new PiapiWebhookStoreError(operation, cause), opened, task, context);
    return fallback;
  }

  return {
    call(operation, run, fallback, task, context) {
      if (brokenUntil !== 0 && Date.now() < brokenUntil) {
        return failed(
          operation,
          new Error(`skipped: the store failed less than ${cooldownMs} ms ago`),
          fallback,
          task,
          context,
        );
      }
      try {
        const result = run();
        if (!isThenable(result)) return result;
        return withTimeout(result, timeoutMs).then(
          (value) => {
            brokenUntil = 0;
            return value;
          },
          (cause: unknown) => failed(operation, cause, fallback, task, context),
        );
      } catch (cause) {
        return failed(operation, cause, fallback, task, context);
      }
    },
  };
}
