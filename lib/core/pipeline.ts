import { ACCEPTED, DUPLICATE, rejectionAnswer, type ReceiverAnswer } from './answers.js';
import { deliveryKey, isTerminalStatus, type ClaimResult, type MaybePromise, type WatchRequest } from './dedupe.js';
import { PiapiWebhookRejection, type StoreOperation } from './errors.js';
import { runHandler } from './run-handler.js';
import { createLeaseKeeper } from './leases.js';
import { andThen, callSafely } from './maybe.js';
import type { ReceiverConfig, WebhookOutcome } from './options.js';
import type { Platform } from './platform.js';
import { createScheduler, type PendingHandler, type Scheduler } from './scheduler.js';
import { createStoreGuard } from './store-guard.js';
import type { PiapiNotification, PiapiTask, PiapiWebhookContext, TaskSource } from './types.js';

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

/** What `recovery.verify` found when it asked PiAPI about a webhook's task. */
export type Confirmation =
  | { readonly kind: 'confirmed'; readonly task: PiapiTask }
  | { readonly kind: 'refused' }
  | { readonly kind: 'unavailable' };

/** The part of the receiver after the HTTP checks, shared by webhooks, `deliver()` and the recovery. */
export interface Pipeline {
  readonly scheduler: Scheduler;
  /** Decides the HTTP answer to a checked, validated notification. */
  answer(
    notification: PiapiNotification,
    receivedAt: number,
    warnings: readonly string[],
  ): MaybePromise<ReceiverAnswer>;
  /** Runs a notification to its end, whatever the ack mode. */
  run(notification: PiapiNotification, source: TaskSource, warnings?: readonly string[]): Promise<DeliverOutcome>;
  /** Watches a task in the store, from now. */
  watch(taskId: string, checkAfterMs: number): MaybePromise<void>;
  /** Calls the store behind the same timeout and circuit breaker as deliveries. */
  callStore<T>(operation: StoreOperation, run: () => MaybePromise<T>, fallback: T): MaybePromise<T>;
  emit(outcome: WebhookOutcome): void;
  /** Emits the `rejected` outcome of a refusal, with its task when there is one. */
  emitRejected(rejection: PiapiWebhookRejection, task?: PiapiTask): void;
  reportError(error: unknown, task?: PiapiTask, context?: PiapiWebhookContext): void;
}

/** Task ids longer than this are not watched: PiAPI's are UUIDs, and a watch keeps the id itself. */
const MAX_WATCHED_ID_LENGTH = 256;

/** The context of a claimed delivery, copied only when this is not its first attempt. */
function withAttempt(context: PiapiWebhookContext, attempt: number): PiapiWebhookContext {
  return attempt === context.attempt ? context : { ...context, attempt };
}

/** What a claim stands for when the store cannot answer: handling twice is recoverable, losing is not. */
const CLAIMED_UNCHECKED: ClaimResult = Object.freeze({ state: 'claimed', attempt: 1 });

/**
 * Capacity, dedupe (leased claims), optional verification, the handler, and
 * the completion record: everything after the HTTP checks.
 */
export function createPipeline(
  config: ReceiverConfig,
  platform: Platform,
  confirm?: (task: PiapiTask) => Promise<Confirmation>,
): Pipeline {
  const { onOutcome, onTask, onError, store, logger } = config;
  const scheduler = createScheduler(config.maxConcurrency, config.maxQueue);
  // Outcomes are built only for someone who listens: a delivery allocates as little as it can.
  const observed = onOutcome !== undefined;
  // A random id for this instance, so that owner tokens never collide across instances; made on the
  // first claim, not here: Workers refuse random values outside a request.
  let ownerPrefix: string | undefined;
  let claims = 0;
  // With ack 'after-handler': the answer each delivery in progress here will get, so a copy shares it.
  const inProgress = new Map<string, Promise<ReceiverAnswer>>();
  const logOutcomeFailure = (error: unknown): void => logger.error({ err: error }, '[piapi-webhook] onOutcome threw');
  const logErrorFailure = (error: unknown): void => logger.error({ err: error }, '[piapi-webhook] onError threw');

  /** The accepted outcome, with the drift the parser reported, if any. */
  function accepted(task: PiapiTask, context: PiapiWebhookContext, warnings: readonly string[]): WebhookOutcome {
    return warnings.length === 0
      ? { type: 'accepted', statusCode: 200, task, context }
      : { type: 'accepted', statusCode: 200, task, context, warnings };
  }

  function emit(outcome: WebhookOutcome): void {
    if (onOutcome !== undefined) callSafely(() => onOutcome(outcome), logOutcomeFailure);
  }

  function reportError(error: unknown, task?: PiapiTask, context?: PiapiWebhookContext): void {
    callSafely(() => onError(error, task, context), logErrorFailure);
  }

  const guard = createStoreGuard(config.storeTimeoutMs, config.storeCooldownMs, (error, opened, task, context) => {
    emit({
      type: 'store_error',
      operation: error.operation,
      error,
      ...(task && { task }),
      ...(context && { context }),
    });
    // One report per outage, not one per delivery: while the breaker is open, only outcomes count them.
    if (opened) reportError(error, task, context);
  });

  const leases = createLeaseKeeper(
    config.leaseMs,
    (key, owner, attempt) => guard.call('renew', () => store.renew(key, owner, config.leaseMs, attempt), true),
    (key) =>
      logger.warn(
        { deliveryKey: key },
        '[piapi-webhook] lost the lease of a running handler; another instance may run the same delivery',
      ),
  );

  function watchRequest(task: PiapiTask, now: number): WatchRequest | undefined {
    if (config.recovery === undefined || task.task_id.length > MAX_WATCHED_ID_LENGTH) return undefined;
    return { taskId: task.task_id, dueAt: now + config.recovery.checkAfterMs, now };
  }

  /** A new owner token: unique to this instance and this claim. */
  function nextOwner(): string {
    claims += 1;
    ownerPrefix ??= platform.randomId();
    return `${ownerPrefix}.${claims}`;
  }

  /** Holds the lease of a claimed delivery, and passes the claim on. */
  function holdLease(claimed: ClaimResult, key: string, owner: string): ClaimResult {
    // Renewed from the claim on, not from the handler's start: a delivery waiting in the queue
    // longer than the lease must not look abandoned to other instances or to the recovery.
    if (claimed.state === 'claimed') leases.hold(key, owner, claimed.attempt);
    return claimed;
  }

  /** Claims the delivery for `owner`. A store that cannot answer is taken as "claimed". */
  function claim(task: PiapiTask, context: PiapiWebhookContext, owner: string): MaybePromise<ClaimResult> {
    const key = context.deliveryKey;
    const watch = watchRequest(task, context.receivedAt);
    const result = guard.call(
      'claim',
      () => store.claim(key, owner, config.leaseMs, watch),
      CLAIMED_UNCHECKED,
      task,
      context,
    );
    return result instanceof Promise
      ? result.then((claimed) => holdLease(claimed, key, owner))
      : holdLease(result, key, owner);
  }

  /** After the handler: records the delivery done, or frees it for a retry; then gives its place back and tells `done`. */
  function settleHandled(
    place: PendingHandler,
    task: PiapiTask,
    context: PiapiWebhookContext,
    owner: string,
    succeeded: boolean,
    error: unknown,
    done: ((result: DeliverOutcome) => void) | undefined,
  ): void {
    const key = context.deliveryKey;
    leases.drop(key);
    if (succeeded) {
      // A task stays watched until the handler of its end has succeeded.
      const unwatch = isTerminalStatus(task.status) && config.recovery !== undefined ? task.task_id : undefined;
      const recorded = guard.call(
        'complete',
        () => store.complete(key, owner, config.dedupeTtlSeconds, unwatch),
        true,
        task,
        context,
      );
      void andThen(recorded, (ok) => {
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
    const released = guard.call(
      'release',
      () => store.release(key, owner, config.dedupeTtlSeconds),
      true,
      task,
      context,
    );
    void andThen(released, () => {
      scheduler.finish(place);
      done?.({ status: 'failed', task, context, error });
    });
  }

  /** Runs the handler in its place, keeps its lease, then records done or releases; `done`, when given, gets the result. */
  function execute(
    place: PendingHandler,
    task: PiapiTask,
    context: PiapiWebhookContext,
    owner: string,
    done?: (result: DeliverOutcome) => void,
  ): void {
    scheduler.start(() =>
      runHandler(onTask, task, context, config.handlerTimeoutMs, (succeeded, error) =>
        settleHandled(place, task, context, owner, succeeded, error, done),
      ),
    );
  }

  /** Gives the place and the claim back, and refuses with `reason`. */
  function refuseClaimed(
    place: PendingHandler,
    owner: string,
    context: PiapiWebhookContext,
    task: PiapiTask,
    reason: PiapiWebhookRejection['reason'],
  ): PiapiWebhookRejection {
    scheduler.cancel(place);
    leases.drop(context.deliveryKey);
    void guard.call(
      'release',
      () => store.release(context.deliveryKey, owner, config.dedupeTtlSeconds),
      true,
      task,
      context,
    );
    return new PiapiWebhookRejection(reason);
  }

  /** Asks PiAPI to confirm a terminal webhook (`recovery.verify`), and swaps in its own copy. */
  function confirmed(
    place: PendingHandler,
    owner: string,
    task: PiapiTask,
    context: PiapiWebhookContext,
  ): MaybePromise<PiapiTask> {
    if (confirm === undefined || context.source !== 'webhook' || !isTerminalStatus(task.status)) return task;
    // A lookup that throws is one that could not be made: PiAPI is asked to retry, and the claim is given back.
    const lookup = confirm(task).catch((): Confirmation => ({ kind: 'unavailable' }));
    return lookup.then((confirmation) => {
      if (confirmation.kind === 'confirmed') return confirmation.task;
      throw refuseClaimed(
        place,
        owner,
        context,
        task,
        confirmation.kind === 'refused' ? 'unverified' : 'verify_unavailable',
      );
    });
  }

  function emitRejected({ reason, statusCode, message }: PiapiWebhookRejection, task?: PiapiTask): void {
    emit(
      task === undefined
        ? { type: 'rejected', statusCode, reason, message }
        : { type: 'rejected', statusCode, reason, message, task },
    );
  }

  function rejection(reason: PiapiWebhookRejection['reason'], task: PiapiTask): ReceiverAnswer {
    const refused = new PiapiWebhookRejection(reason);
    emitRejected(refused, task);
    return rejectionAnswer(refused);
  }

  /** The HTTP answer to a claimed (and, with `recovery.verify`, confirmed) delivery. */
  function acknowledge(
    place: PendingHandler,
    task: PiapiTask,
    context: PiapiWebhookContext,
    owner: string,
    warnings: readonly string[],
  ): MaybePromise<ReceiverAnswer> {
    if (config.ack === 'immediate') {
      if (observed) emit(accepted(task, context, warnings));
      return { ...ACCEPTED, afterResponse: (finished) => execute(place, task, context, owner, finished) };
    }
    return new Promise<ReceiverAnswer>((resolve) =>
      execute(place, task, context, owner, (result) => {
        if (result.status === 'handled') {
          emit(accepted(task, context, warnings));
          resolve(ACCEPTED);
        } else {
          resolve(rejection('handler_failed', task));
        }
      }),
    );
  }

  /** The HTTP answer once the claim is known. */
  function answerClaim(
    claimed: ClaimResult,
    owner: string,
    place: PendingHandler,
    task: PiapiTask,
    context: PiapiWebhookContext,
    warnings: readonly string[],
  ): MaybePromise<ReceiverAnswer> {
    if (claimed.state !== 'claimed') {
      scheduler.cancel(place);
      if (claimed.state === 'full') return rejection('store_full', task);
      // Under ack 'after-handler' the other instance's answer is not known yet: ask PiAPI to come back.
      if (claimed.state === 'in_progress' && config.ack === 'after-handler') return rejection('in_progress', task);
      if (observed) emit({ type: 'duplicate', statusCode: 200, task, context });
      return DUPLICATE;
    }
    const attempted = withAttempt(context, claimed.attempt);
    const handed = confirmed(place, owner, task, attempted);
    if (handed instanceof Promise)
      return handed.then((confirmedTask) => acknowledge(place, confirmedTask, attempted, owner, warnings));
    return acknowledge(place, handed, attempted, owner, warnings);
  }

  function answerKeyed(
    task: PiapiTask,
    context: PiapiWebhookContext,
    warnings: readonly string[],
  ): MaybePromise<ReceiverAnswer> {
    const copyOf = inProgress.get(context.deliveryKey);
    if (copyOf !== undefined) {
      return copyOf.then((answer) => {
        emit({ type: 'duplicate', statusCode: answer.statusCode, task, context });
        return answer;
      });
    }
    // Held before the claim, so that a full queue refuses a delivery without claiming it.
    const place = scheduler.reserve(task.task_id, task.status, context.deliveryKey);
    if (typeof place === 'string') return rejection(place, task);
    const owner = nextOwner();
    const claimed = claim(task, context, owner);
    const answer =
      claimed instanceof Promise
        ? claimed.then((result) => answerClaim(result, owner, place, task, context, warnings))
        : answerClaim(claimed, owner, place, task, context, warnings);
    if (config.ack === 'after-handler' && answer instanceof Promise) {
      inProgress.set(context.deliveryKey, answer);
      const forget = (): void => void inProgress.delete(context.deliveryKey);
      answer.then(forget, forget);
    }
    return answer;
  }

  function contextFor(
    notification: PiapiNotification,
    receivedAt: number,
    key: string,
    source: TaskSource,
  ): PiapiWebhookContext {
    return { timestamp: notification.timestamp, receivedAt, deliveryKey: key, source, attempt: 1 };
  }

  return {
    scheduler,
    emit,
    emitRejected,
    reportError,
    callStore: (operation, run, fallback) => guard.call(operation, run, fallback),

    answer(notification, receivedAt, warnings) {
      const task = notification.data;
      return answerKeyed(
        task,
        contextFor(notification, receivedAt, deliveryKey(task, notification.timestamp, platform), 'webhook'),
        warnings,
      );
    },

    async run(notification, source, warnings = []) {
      const task = notification.data;
      const key = deliveryKey(task, notification.timestamp, platform);
      const context = contextFor(notification, config.now(), key, source);
      const place = scheduler.reserve(task.task_id, task.status, key);
      if (typeof place === 'string') {
        const refused = new PiapiWebhookRejection(place);
        emitRejected(refused, task);
        return { status: 'rejected', reason: place, message: refused.message, task };
      }
      const owner = nextOwner();
      const claimed = await claim(task, context, owner);
      if (claimed.state !== 'claimed') {
        scheduler.cancel(place);
        if (claimed.state === 'full')
          return {
            status: 'rejected',
            reason: 'store_full',
            message: new PiapiWebhookRejection('store_full').message,
            task,
          };
        if (claimed.state === 'in_progress') return { status: 'in_progress', task };
        emit({ type: 'duplicate', statusCode: 200, task, context });
        return { status: 'duplicate', task };
      }
      const attempted = withAttempt(context, claimed.attempt);
      const result = await new Promise<DeliverOutcome>((resolve) => execute(place, task, attempted, owner, resolve));
      if (result.status === 'handled') emit(accepted(task, attempted, warnings));
      return result;
    },

    watch(taskId, checkAfterMs) {
      const now = config.now();
      return guard.call('watch', () => store.watch(taskId, now + checkAfterMs, now), undefined);
    },
  };
}
