import { ACCEPTED, DUPLICATE, rejectionAnswer, type ReceiverAnswer } from './answers.js';
import { createClaims } from './claims.js';
import { deliveryKey } from './dedupe.js';
import { PiapiWebhookRejection, PiapiWebhookWatchError, type StoreOperation } from './errors.js';
import { andThen, callSafely, type MaybePromise } from './maybe.js';
import type { ReceiverConfig, WebhookOutcome } from './options.js';
import type { Platform } from './platform.js';
import { createScheduler, type PendingHandler, type Scheduler } from './scheduler.js';
import { createSettlement, type DeliverOutcome } from './settlement.js';
import { createStoreGuard, StoreFailure } from './store-guard.js';
import type { PiapiNotification, PiapiTask, PiapiWebhookContext, TaskSource } from './types.js';
import { createVerification, type Confirmation } from './verification.js';

export type { DeliverOutcome } from './settlement.js';
export type { Confirmation } from './verification.js';

/** What happens to a delivery before its handler, decided once (see `decide`). */
type Decision =
  /** Refused before its handler: no place (overloaded, draining), or a store full of live keys. */
  | { readonly kind: 'refused'; readonly reason: 'overloaded' | 'draining' | 'store_full' }
  /** Another owner holds a live lease on it. */
  | { readonly kind: 'in_progress' }
  /** Its handler has already succeeded. */
  | { readonly kind: 'duplicate' }
  /** Claimed by `owner`, in `place`: run it, with the claim's attempt in `context`. */
  | {
      readonly kind: 'run';
      readonly place: PendingHandler;
      readonly owner: string;
      readonly context: PiapiWebhookContext;
    };

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
  /** Watches a task in the store, from now; rejects with a {@link PiapiWebhookWatchError} when the store is full or fails. */
  watch(taskId: string, checkAfterMs: number): MaybePromise<void>;
  /** Calls the store behind the same timeout and circuit breaker as deliveries. */
  callStore<T>(operation: StoreOperation, run: () => MaybePromise<T>, fallback: T): MaybePromise<T>;
  emit(outcome: WebhookOutcome): void;
  /** Emits the `rejected` outcome of a refusal, with its task when there is one. */
  emitRejected(rejection: PiapiWebhookRejection, task?: PiapiTask): void;
  reportError(error: unknown, task?: PiapiTask, context?: PiapiWebhookContext): void;
}

/** The context of a claimed delivery, copied only when this is not its first attempt. */
function withAttempt(context: PiapiWebhookContext, attempt: number): PiapiWebhookContext {
  return attempt === context.attempt ? context : { ...context, attempt };
}

/**
 * Capacity, dedupe (leased claims), optional verification, the handler, and
 * the completion record: everything after the HTTP checks.
 */
export function createPipeline(
  config: ReceiverConfig,
  platform: Platform,
  confirm?: (task: PiapiTask) => Promise<Confirmation>,
): Pipeline {
  const { onOutcome, onError, store, logger } = config;
  const scheduler = createScheduler(config.maxConcurrency, config.maxQueue);
  // Outcomes are built only for someone who listens: a delivery allocates as little as it can.
  const observed = onOutcome !== undefined;
  // A random id for this instance, so that owner tokens never collide across instances; made on the
  // first claim, not here: Workers refuse random values outside a request.
  let ownerPrefix: string | undefined;
  let owners = 0;
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

  const guard = createStoreGuard(
    config.storeTimeoutMs,
    config.storeCooldownMs,
    (error, opened, task, context) => {
      emit({
        type: 'store_error',
        operation: error.operation,
        error,
        ...(task && { task }),
        ...(context && { context }),
      });
      // One report per outage, not one per delivery: while the breaker is open, only outcomes count them.
      if (opened) reportError(error, task, context);
    },
    // The store answers again: write to it what this process kept meanwhile.
    () => void claims.record(),
  );
  // Told when the store (say, a Redis client) is ready again: no need to wait out the cooldown.
  store.setReadyListener?.(() => guard.reset());

  const claims = createClaims(
    config,
    guard,
    (key) =>
      logger.warn(
        { deliveryKey: key },
        '[piapi-webhook] lost the lease of a running handler; another instance may run the same delivery',
      ),
    (task, context, reason) => emit({ type: 'watch_dropped', taskId: task.task_id, reason, task, context }),
  );

  /** A new owner token: unique to this instance and this claim. */
  function nextOwner(): string {
    owners += 1;
    ownerPrefix ??= platform.randomId();
    return `${ownerPrefix}.${owners}`;
  }

  const { execute, giveBack } = createSettlement(config, scheduler, claims, reportError);
  const confirmed = createVerification(confirm, giveBack);

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

  /**
   * Decides, once, what happens to a delivery before its handler: a place in the
   * scheduler (held before the claim, so that a full queue refuses a delivery
   * without claiming it), then the claim. Each edge maps the decision: to an HTTP
   * answer (`answer`), or to a {@link DeliverOutcome} (`run`).
   */
  function decide(task: PiapiTask, context: PiapiWebhookContext): MaybePromise<Decision> {
    const place = scheduler.reserve(task.task_id, task.status, context.deliveryKey);
    if (typeof place === 'string') return { kind: 'refused', reason: place };
    const owner = nextOwner();
    return andThen(claims.claim(task, context, owner), (claimed): Decision => {
      if (claimed.state === 'claimed') {
        return { kind: 'run', place, owner, context: withAttempt(context, claimed.attempt) };
      }
      scheduler.cancel(place);
      if (claimed.state === 'full') return { kind: 'refused', reason: 'store_full' };
      return { kind: claimed.state === 'done' ? 'duplicate' : 'in_progress' };
    });
  }

  /** The HTTP answer to a decision. */
  function answerDecision(
    decision: Decision,
    task: PiapiTask,
    context: PiapiWebhookContext,
    warnings: readonly string[],
  ): MaybePromise<ReceiverAnswer> {
    if (decision.kind === 'refused') return rejection(decision.reason, task);
    // Under ack 'after-handler' the other instance's answer is not known yet: ask PiAPI to come back.
    if (decision.kind === 'in_progress' && config.ack === 'after-handler') return rejection('in_progress', task);
    if (decision.kind !== 'run') {
      if (observed) emit({ type: 'duplicate', statusCode: 200, task, context });
      return DUPLICATE;
    }
    const { place, owner, context: attempted } = decision;
    return andThen(confirmed(place, owner, task, attempted), (confirmedTask) =>
      acknowledge(place, confirmedTask, attempted, owner, warnings),
    );
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
    const answer = andThen(decide(task, context), (decision) => answerDecision(decision, task, context, warnings));
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
      const decision = await decide(task, context);
      if (decision.kind === 'refused') {
        const refused = new PiapiWebhookRejection(decision.reason);
        emitRejected(refused, task);
        return { status: 'rejected', reason: decision.reason, message: refused.message, task };
      }
      if (decision.kind === 'in_progress') return { status: 'in_progress', task };
      if (decision.kind === 'duplicate') {
        emit({ type: 'duplicate', statusCode: 200, task, context });
        return { status: 'duplicate', task };
      }
      const { place, owner, context: attempted } = decision;
      const result = await new Promise<DeliverOutcome>((resolve) => execute(place, task, attempted, owner, resolve));
      if (result.status === 'handled') emit(accepted(task, attempted, warnings));
      return result;
    },

    watch(taskId, checkAfterMs) {
      const now = config.now();
      const watched = guard.attempt('watch', () => store.watch(taskId, now + checkAfterMs, now));
      return andThen(watched, (answer) => {
        if (answer !== false && !(answer instanceof StoreFailure)) return;
        const reason = answer === false ? 'store_full' : 'store_failed';
        emit({ type: 'watch_dropped', taskId, reason });
        throw new PiapiWebhookWatchError(taskId, reason, answer === false ? undefined : answer.error);
      });
    },
  };
}
