/**
 * A claimed delivery's handler, run in its scheduler place, and its settlement:
 * the delivery recorded done in the store, or its claim released so that
 * PiAPI's retry or the recovery runs it again.
 */
import type { Claims } from './claims.js';
import type { PiapiWebhookRejection } from './errors.js';
import { andThen } from './maybe.js';
import type { ReceiverConfig } from './options.js';
import { runHandler } from './run-handler.js';
import type { PendingHandler, Scheduler } from './scheduler.js';
import type { PiapiTask, PiapiWebhookContext } from './types.js';

/** What `deliver()` (and each recovered task) came to. */
export type DeliverOutcome =
  /** `onTask` ran and succeeded. */
  | { readonly status: 'handled'; readonly task: PiapiTask; readonly context: PiapiWebhookContext }
  /** Already handled (by this or another instance): `onTask` did not run. */
  | { readonly status: 'duplicate'; readonly task: PiapiTask }
  /** Another instance holds a live lease on it and is handling it now. */
  | { readonly status: 'in_progress'; readonly task: PiapiTask }
  /** `onTask` failed or timed out; the claim was released, so it can be retried. */
  | {
      readonly status: 'failed';
      readonly task: PiapiTask;
      readonly context: PiapiWebhookContext;
      readonly error: unknown;
    }
  /** Refused before `onTask`, with the same stable reason a webhook would get. */
  | {
      readonly status: 'rejected';
      readonly reason: PiapiWebhookRejection['reason'];
      readonly message: string;
      readonly task?: PiapiTask;
    };

/** Runs and settles claimed deliveries: see {@link createSettlement}. */
export interface Settlement {
  /** Runs the handler in its place, keeps its lease, then records done or releases; `done`, when given, gets the result. */
  readonly execute: (
    place: PendingHandler,
    task: PiapiTask,
    context: PiapiWebhookContext,
    owner: string,
    done?: (result: DeliverOutcome) => void,
  ) => void;
  /** Gives back the place and the claim of a delivery refused after its claim (`recovery.verify`). */
  readonly giveBack: (place: PendingHandler, task: PiapiTask, context: PiapiWebhookContext, owner: string) => void;
}

/**
 * @param config - the receiver's config: its handler, handler timeout and logger
 * @param scheduler - where handlers take their places
 * @param claims - the store's claims, to complete or release
 * @param reportError - where a failed handler's error goes (`onError`)
 */
export function createSettlement(
  config: ReceiverConfig,
  scheduler: Scheduler,
  claims: Claims,
  reportError: (error: unknown, task?: PiapiTask, context?: PiapiWebhookContext) => void,
): Settlement {
  const { onTask, logger } = config;

  /** After the handler: records the delivery done, or frees it for a retry; then gives its place back and tells `done`. */
  function settle(
    place: PendingHandler,
    task: PiapiTask,
    context: PiapiWebhookContext,
    owner: string,
    succeeded: boolean,
    error: unknown,
    done: ((result: DeliverOutcome) => void) | undefined,
  ): void {
    if (succeeded) {
      void andThen(claims.complete(task, context, owner), (ok) => {
        if (!ok)
          logger.warn(
            { taskId: task.task_id },
            '[piapi-webhook] handled a delivery whose lease another instance had taken over',
          );
        scheduler.finish(place);
        done?.({ status: 'handled', task, context });
      });
      return;
    }
    reportError(error, task, context);
    // Free the key, so that PiAPI's retry or the recovery runs it again.
    void andThen(claims.release(task, context, owner), () => {
      scheduler.finish(place);
      done?.({ status: 'failed', task, context, error });
    });
  }

  return {
    execute: (place, task, context, owner, done) => {
      scheduler.start(() =>
        runHandler(onTask, task, context, config.handlerTimeoutMs, (succeeded, error) =>
          settle(place, task, context, owner, succeeded, error, done),
        ),
      );
    },
    giveBack: (place, task, context, owner) => {
      scheduler.cancel(place);
      void claims.release(task, context, owner);
    },
  };
}
