import type { MaybePromise } from './maybe.js';
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

/** What a guarded call gives back when the store failed, timed out or was skipped: the reported error. */
export class StoreFailure {
  /** @param error - the error the failure was reported with */
  constructor(readonly error: PiapiWebhookStoreError) {}
}

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
  /** Like `call`, but a failure comes back as a {@link StoreFailure}, for callers that act on it. */
  attempt<T>(
    operation: StoreOperation,
    run: () => MaybePromise<T>,
    task?: PiapiTask,
    context?: PiapiWebhookContext,
  ): MaybePromise<T | StoreFailure>;
  /** The store says it can answer again (a client's `ready`): stop skipping it now, not at the cooldown's end. */
  reset(): void;
  /** Whether a call now would reach the store (no break in force). */
  readonly open: boolean;
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
 * and each delivery would otherwise wait the full timeout. The break ends early
 * when the store reports it is ready again (`reset()`).
 *
 * @param onRecovered - called once the store answers after a failure, to record what was kept meanwhile
 */
export function createStoreGuard(
  timeoutMs: number,
  cooldownMs: number,
  report: StoreFailureReport,
  onRecovered: () => void = () => undefined,
): StoreGuard {
  let brokenUntil = 0;

  function failed(
    operation: StoreOperation,
    cause: unknown,
    task: PiapiTask | undefined,
    context: PiapiWebhookContext | undefined,
  ): StoreFailure {
    // Wall-clock time, not the injectable `now`: this is about the store, not about deliveries.
    const opened = Date.now() >= brokenUntil;
    if (opened) brokenUntil = Date.now() + cooldownMs;
    const error = new PiapiWebhookStoreError(operation, cause);
    report(error, opened, task, context);
    return new StoreFailure(error);
  }

  function answered<T>(value: T): T {
    if (brokenUntil !== 0) {
      brokenUntil = 0;
      onRecovered();
    }
    return value;
  }

  function attempt<T>(
    operation: StoreOperation,
    run: () => MaybePromise<T>,
    task?: PiapiTask,
    context?: PiapiWebhookContext,
  ): MaybePromise<T | StoreFailure> {
    if (brokenUntil !== 0 && Date.now() < brokenUntil) {
      return failed(operation, new Error(`skipped: the store failed less than ${cooldownMs} ms ago`), task, context);
    }
    try {
      const result = run();
      if (!isThenable(result)) return brokenUntil === 0 ? result : answered(result);
      return withTimeout(result, timeoutMs).then(answered, (cause: unknown) => failed(operation, cause, task, context));
    } catch (cause) {
      return failed(operation, cause, task, context);
    }
  }

  return {
    attempt,
    call(operation, run, fallback, task, context) {
      const result = attempt(operation, run, task, context);
      if (result instanceof Promise) return result.then((value) => (value instanceof StoreFailure ? fallback : value));
      return result instanceof StoreFailure ? fallback : result;
    },
    reset() {
      if (brokenUntil !== 0) answered(undefined);
    },
    get open() {
      return brokenUntil === 0 || Date.now() >= brokenUntil;
    },
  };
}
