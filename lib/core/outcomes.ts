import type { PiapiWebhookStoreError, RejectionReason, StoreOperation } from './errors.js';
import type { PiapiTask, PiapiWebhookContext } from './types.js';

/** What the outcome hook sees: one outcome per request, when its answer is decided. */
export type WebhookOutcome =
  | {
      /**
       * A new delivery: answered 200, and `onTask` runs (or, with `ack: 'after-handler'`
       * and for `deliver()` and recovery, has succeeded). `context.source` says where it came from.
       */
      readonly type: 'accepted';
      readonly statusCode: number;
      readonly task: PiapiTask;
      readonly context: PiapiWebhookContext;
      /**
       * Present only when optional fields drifted from PiAPI's documented shape
       * (e.g. `data.meta.usage.frozen must be number`): the delivery is accepted
       * anyway, since only what the receiver relies on is enforced.
       */
      readonly warnings?: readonly string[];
    }
  | {
      /** A retry, a concurrent copy, or a re-sent terminal status: answered 200, `onTask` does not run. */
      readonly type: 'duplicate';
      readonly statusCode: number;
      readonly task: PiapiTask;
      readonly context: PiapiWebhookContext;
    }
  | {
      /** Refused. `reason` is the stable code also sent in the response body. */
      readonly type: 'rejected';
      readonly statusCode: number;
      readonly reason: RejectionReason;
      readonly message: string;
      /** The task, when the body was a valid notification (for example a stale or overloaded one). */
      readonly task?: PiapiTask;
    }
  | {
      /**
       * The dedupe store failed or timed out. Not an answer of its own: the
       * delivery is still handled (see docs/stores.md, "When the store fails"), and another outcome follows.
       */
      readonly type: 'store_error';
      readonly operation: StoreOperation;
      readonly error: PiapiWebhookStoreError;
      readonly task?: PiapiTask;
      readonly context?: PiapiWebhookContext;
    }
  | {
      /** A terminal task found through get-task was handled: its webhook had been lost. */
      readonly type: 'recovered';
      readonly task: PiapiTask;
      readonly context: PiapiWebhookContext;
    }
  | {
      /** A recovery check failed (get-task unavailable, or the handler failed); it is retried with back-off. */
      readonly type: 'recovery_failed';
      readonly taskId: string;
      readonly error: unknown;
      /** When the next check is due, in ms from the `now` clock. */
      readonly nextCheckAt: number;
    }
  | {
      /**
       * A task could not be watched for recovery, so its end is not recovered
       * if its webhooks are lost: the store is full (`memoryStore`'s `max`
       * watched tasks), or it failed and this process could not keep the watch
       * to write later. From a notification's automatic watch (with its `task`
       * and `context`), or from `hook.watch()`, which also rejects with a
       * `PiapiWebhookWatchError`.
       */
      readonly type: 'watch_dropped';
      readonly taskId: string;
      readonly reason: 'store_full' | 'store_failed';
      readonly task?: PiapiTask;
      readonly context?: PiapiWebhookContext;
    }
  | {
      /** Recovery stopped watching a task without handling its end: PiAPI does not know it, or `maxAgeSeconds` passed. */
      readonly type: 'recovery_gave_up';
      readonly taskId: string;
      readonly reason: 'not_found' | 'max_age';
    };

/** Where the middleware logs. Console and pino loggers fit; it is called as `logger.error({ err, ... }, message)`. */
export interface PiapiWebhookLogger {
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}
