import { PiapiWebhookRejection, PiapiWebhookStoreError } from './core/errors.js';
import { parseOptions, type PiapiWebhookLogger, type PiapiWebhookOptions } from './core/options.js';
import { parseNotification } from './core/parse.js';
import { createPipeline, type DeliverOutcome, type Pipeline } from './core/pipeline.js';
import type { Platform } from './core/platform.js';
import { createReceiver, type Receiver } from './core/receiver.js';
import type { DrainReport } from './core/scheduler.js';
import type { PiapiNotification, PiapiTask, TaskSource } from './core/types.js';
import { createPiapiClient, type PiapiClientOptions } from './recovery/piapi-client.js';
import { createRecovery, type Recovery, type ReconcileReport } from './recovery/recovery.js';
import { parseReconcileOptions, parseTaskIds, type ReconcileOptions } from './recovery/reconcile-options.js';
import { memoryStore } from './stores/memory.js';

/** The methods every entry point exposes on what it returns (the middleware, the Fetch handler, the Fastify plugin). */
export interface WebhookControls {
  /**
   * Prepares a graceful shutdown. From now on new deliveries are answered 503
   * (`draining`), so PiAPI retries them, against another instance if there is
   * one, and the recovery sweep stops. Resolves once every accepted delivery's
   * handler has settled, or once `timeoutMs` has passed, with what was still pending.
   *
   * @param timeoutMs - the longest wait, in milliseconds; `Infinity` waits for ever
   * @defaultValue 30000 (Kubernetes' default grace period)
   */
  drain(timeoutMs?: number): Promise<DrainReport>;
  /**
   * Resolves once every handler accepted so far has finished (without
   * draining). For tests: `await hook.settled()` after sending a notification.
   */
  settled(): Promise<void>;
  /**
   * Watches a task you have just created with PiAPI, so that its end is
   * recovered through get-task if its webhooks are lost (downtime, a crash).
   * Kept in the store: shared and persistent with `redisStore`. Every accepted
   * notification watches its task too; a task stays watched until the handler
   * of its terminal delivery has succeeded. Needs the `recovery` option.
   *
   * @param taskId - `data.task_id` from PiAPI's create-task answer
   * @param options - `checkAfterSeconds`: when to check first, if its end has not been handled by then
   */
  watch(taskId: string, options?: { checkAfterSeconds?: number }): Promise<void>;
  /**
   * Checks with get-task now. Without arguments: the watched tasks that are
   * due. With ids: exactly those (after a restart on `memoryStore`, pass your
   * own table of unfinished tasks). Terminal tasks run through dedupe and
   * `onTask` with `ctx.source: 'recovery'`. Needs the `recovery` option.
   *
   * From a cron (serverless platforms, `intervalSeconds: 0`), give the run its
   * `deadlineMs`: it stops taking due tasks in time, leaves the rest due for
   * the next run, and says so with `more: true`.
   *
   * @param taskIds - the tasks to check; default: the due watched tasks
   * @param options - `deadlineMs` and `limit`: see {@link ReconcileOptions}
   * @throws PiapiWebhookConfigError (as a rejection) when an option is wrong
   */
  reconcile(taskIds?: readonly string[], options?: ReconcileOptions): Promise<ReconcileReport>;
  /**
   * Runs a notification (or a bare task) through validation, dedupe, the
   * scheduler and `onTask`, without HTTP (no secret, media-type or timestamp
   * check): for queue consumers and tests. Resolves once `onTask` has settled.
   *
   * @param notificationOrTask - `{ timestamp, data }`, or a task (timestamped now)
   * @param options - `source`: what `ctx.source` says
   * @defaultValue source: 'deliver'
   */
  deliver(
    notificationOrTask: PiapiNotification | PiapiTask,
    options?: { source?: TaskSource },
  ): Promise<DeliverOutcome>;
}

const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

/**
 * Where `reconcileHandler` finds, on what an entry returns, the hook's `onError`
 * and its get-task timeout (to check its deadline at construction). Internal: a
 * registered symbol, so that two copies of the package (CJS and ESM) agree.
 */
export const HOOK_INTERNALS: unique symbol = Symbol.for('piapi-webhook.internals');

/** What {@link HOOK_INTERNALS} holds. */
export interface HookInternals {
  reportError(error: unknown): void;
  /** `recovery.requestTimeoutMs`; undefined without the `recovery` option. */
  readonly requestTimeoutMs: number | undefined;
}

function needsRecovery(method: string): never {
  throw new TypeError(
    `piapi-webhook: ${method}() needs the recovery option: piapiWebhook({ ..., recovery: { apiKey: process.env.PIAPI_API_KEY } }).`,
  );
}

function isNotification(value: unknown): value is PiapiNotification {
  return typeof value === 'object' && value !== null && 'data' in value && 'timestamp' in value;
}

/**
 * Builds everything an entry point needs from the user's options: the
 * validated config, the pipeline, the recovery, and the HTTP receiver. Every
 * adapter calls this, so that they all behave alike.
 *
 * @param options - the user's options, validated here
 * @param platform - the runtime's crypto
 * @param clientOverrides - for the package's own tests: how the get-task client waits and fetches
 */
export function createWebhook(
  options: PiapiWebhookOptions,
  platform: Platform,
  clientOverrides: Pick<PiapiClientOptions, 'sleep' | 'random' | 'fetch'> = {},
): { readonly receiver: Receiver; readonly controls: WebhookControls; readonly logger: PiapiWebhookLogger } {
  const config = parseOptions(options, ({ now, replayWindowSeconds }) => memoryStore({ now, replayWindowSeconds }));
  // Called only once the pipeline below exists: recovery's calls all come after construction.
  const pipelineOf = (): Pipeline => pipeline;
  let recovery: Recovery | undefined;
  if (config.recovery !== undefined) {
    const { apiKey, baseUrl, allowInsecureBaseUrl, requestTimeoutMs, concurrency, verify } = config.recovery;
    const clientOptions = {
      ...clientOverrides,
      apiKey,
      baseUrl,
      allowInsecureBaseUrl,
      timeoutMs: requestTimeoutMs,
      concurrency,
    };
    const client = createPiapiClient(clientOptions);
    // Inside a request, one attempt: PiAPI's rate limit must not hold a webhook's answer through back-offs.
    const once = verify ? createPiapiClient({ ...clientOptions, maxAttempts: 1 }) : client;
    recovery = createRecovery(
      config,
      config.recovery,
      pipelineOf,
      (taskId) => client.getTask(taskId),
      (taskId) => once.getTask(taskId),
    );
  }
  const pipeline = createPipeline(config, platform, config.recovery?.verify ? recovery?.confirm : undefined);
  // A reconnecting client emits an error per attempt: one report per cooldown is enough.
  let quietUntil = 0;
  config.store.setErrorReporter?.((error) => {
    if (Date.now() < quietUntil) return;
    quietUntil = Date.now() + config.storeCooldownMs;
    pipelineOf().reportError(new PiapiWebhookStoreError('connection', error));
  });
  const httpReceiver = createReceiver(config, platform, pipeline);
  // At once where the runtime allows timers here (Node, Bun, Deno), else with the first request.
  recovery?.start();
  const receiver: Receiver = {
    receive(delivery) {
      recovery?.start();
      httpReceiver.receive(delivery);
    },
  };

  const controls: WebhookControls = {
    drain(timeoutMs = DEFAULT_DRAIN_TIMEOUT_MS) {
      recovery?.stop();
      return pipelineOf().scheduler.drain(timeoutMs);
    },
    settled: () => pipelineOf().scheduler.settled(),
    async watch(taskId, watchOptions = {}) {
      if (recovery === undefined) needsRecovery('watch');
      recovery.start();
      // PiAPI's ids are UUIDs; a watch keeps the id itself, so an absurd one is refused.
      if (typeof taskId !== 'string' || taskId === '' || taskId.length > 256) {
        throw new TypeError(
          'piapi-webhook: watch(taskId) needs the task id PiAPI returned (a non-empty string of at most 256 characters).',
        );
      }
      const { checkAfterSeconds } = watchOptions;
      await recovery.watch(taskId, checkAfterSeconds === undefined ? undefined : checkAfterSeconds * 1000);
    },
    async reconcile(taskIds, reconcileOptions) {
      if (recovery === undefined || config.recovery === undefined) needsRecovery('reconcile');
      const limits = parseReconcileOptions(reconcileOptions, config.recovery.requestTimeoutMs);
      const ids = parseTaskIds(taskIds);
      recovery.start();
      return recovery.reconcile(ids, limits);
    },
    async deliver(notificationOrTask, deliverOptions = {}) {
      const nowSeconds = Math.floor(config.now() / 1000);
      // A copy: validation normalizes in place, and the caller's object is theirs.
      const body = structuredClone(
        isNotification(notificationOrTask) ? notificationOrTask : { timestamp: nowSeconds, data: notificationOrTask },
      );
      let notification: PiapiNotification;
      const warnings: string[] = [];
      try {
        notification = parseNotification(body, warnings);
      } catch (error) {
        if (!(error instanceof PiapiWebhookRejection)) throw error;
        pipelineOf().emitRejected(error);
        return { status: 'rejected', reason: error.reason, message: error.message };
      }
      return pipelineOf().run(notification, deliverOptions.source ?? 'deliver', warnings);
    },
  };
  // Enumerable, so that the entries' Object.assign(handler, controls) carries it.
  const internals: HookInternals = {
    reportError: (error) => pipelineOf().reportError(error),
    requestTimeoutMs: config.recovery?.requestTimeoutMs,
  };
  Object.defineProperty(controls, HOOK_INTERNALS, { value: internals, enumerable: true });
  return { receiver, controls, logger: config.logger };
}
