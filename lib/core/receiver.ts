import { deliveryKey } from './dedupe.js';
import { PiapiWebhookRejection, PiapiWebhookStoreError, type RejectionReason } from './errors.js';
import type { ReceiverConfig, WebhookOutcome } from './options.js';
import { parseNotification } from './parse.js';
import { createScheduler, type DrainReport, type PendingHandler } from './scheduler.js';
import type { Platform } from './platform.js';
import type { PiapiTask, PiapiWebhookContext } from './types.js';
import { checkMediaType, checkTimestamp, createSecretCheck } from './verify.js';

/** One HTTP request, as an adapter hands it to the core: its headers, and how to read its body and answer it. */
export interface IncomingDelivery {
  readonly method: string | undefined;
  readonly secret: string | undefined;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  /**
   * Reads the body, at most `limitBytes` of it, and calls back once: with a
   * {@link PiapiWebhookRejection}, or with raw bytes or text, or with a value an
   * upstream parser already produced.
   */
  readBody(limitBytes: number, callback: (error: PiapiWebhookRejection | undefined, body?: unknown) => void): void;
  /** Writes the answer, then runs its `afterResponse`, if any; called exactly once. */
  respond(answer: ReceiverAnswer): void;
}

/** What the adapter writes back, and what it runs once it has. */
export interface ReceiverAnswer {
  readonly statusCode: number;
  /** The JSON body, encoded as UTF-8 (a plain `Uint8Array`: the core runs where `Buffer` does not exist). */
  readonly body: Uint8Array;
  /** Every header of the answer: content type and length, and `Allow` or `Retry-After` where due. */
  readonly headers: Readonly<Record<string, string | number>>;
  /**
   * Starts `onTask`; the adapter calls it once the answer has been written.
   * `finished`, when given, is called once the handler has settled (or failed),
   * for adapters that must keep the platform alive until then (`waitUntil`).
   */
  readonly afterResponse?: (finished?: () => void) => void;
}

/** The methods every adapter exposes on what it returns (the middleware, the Fetch handler, …). */
export interface WebhookControls {
  /**
   * Prepares a graceful shutdown. From now on new deliveries are answered 503
   * (`draining`), so PiAPI retries them, against another instance if there is
   * one. Resolves once every accepted delivery's handler has settled, or once
   * `timeoutMs` has passed, with what was still pending.
   *
   * @param timeoutMs - the longest wait, in milliseconds
   * @defaultValue 30 000 (Kubernetes' default grace period)
   */
  drain(timeoutMs?: number): Promise<DrainReport>;
}

export interface Receiver {
  /**
   * Decides the answer to a delivery and hands it to `delivery.respond`, exactly
   * once. With a synchronous store (the default) that happens in the same turn as
   * the body's last byte: answering from a later microtask costs Node measurably more.
   */
  receive(delivery: IncomingDelivery): void;
  /** The public methods, for the adapter to put on what it returns. */
  readonly controls: WebhookControls;
}

/** PiAPI retries about 5 s after a failure; asking for the same keeps the advice honest. */
const RETRY_AFTER_SECONDS = '5';
/** How long `drain()` waits by default: Kubernetes' default grace period. */
const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
const EXTRA_HEADERS: Partial<Record<RejectionReason, Readonly<Record<string, string>>>> = {
  method_not_allowed: { allow: 'POST' },
  overloaded: { 'retry-after': RETRY_AFTER_SECONDS },
  draining: { 'retry-after': RETRY_AFTER_SECONDS },
};

const utf8 = new TextEncoder();

function jsonAnswer(statusCode: number, value: unknown, extraHeaders?: Readonly<Record<string, string>>): ReceiverAnswer {
  const body = utf8.encode(JSON.stringify(value));
  const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, ...extraHeaders };
  return Object.freeze({ statusCode, body, headers: Object.freeze(headers) });
}

// Built once: the answer to every genuine delivery.
const ACCEPTED = jsonAnswer(200, { ok: true });

/** Calls `run`, and sends a sync throw or an async rejection to `onFailure`: nothing escapes. */
function callSafely(run: () => unknown, onFailure: (error: unknown) => void): void {
  try {
    const result = run();
    if (isThenable(result)) Promise.resolve(result).then(undefined, onFailure);
  } catch (error) {
    onFailure(error);
  }
}

function logHookFailure(hook: string): (error: unknown) => void {
  return (error) => console.error(`[piapi-webhook] ${hook} threw:`, error);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null | undefined)?.then === 'function';
}

/** Settles like `promise`, or rejects after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The framework-free pipeline: method, secret, media type, body, schema,
 * timestamp, capacity, dedupe, handler. It decides the answer; the adapter writes it.
 */
export function createReceiver(config: ReceiverConfig, platform: Platform): Receiver {
  const { onOutcome, onTask, onError, store } = config;
  const checkSecret = createSecretCheck(config.secrets, platform);
  const scheduler = createScheduler(config.maxConcurrency, config.maxQueue);
  // With ack 'after-handler': the answer each delivery in progress will get, so a copy shares it.
  const inProgress = new Map<string, Promise<ReceiverAnswer>>();
  const logOutcomeFailure = logHookFailure('onOutcome');
  const logErrorHookFailure = logHookFailure('onError');
  // The drift parseNotification reported, by task, for the accepted outcome: kept beside the task
  // rather than passed down every step between parsing and acceptance. Only drifted tasks are in it.
  const driftOf = new WeakMap<PiapiTask, readonly string[]>();

  function emit(outcome: WebhookOutcome): void {
    if (onOutcome === undefined) return;
    const warnings = outcome.type === 'accepted' ? driftOf.get(outcome.task) : undefined;
    const reported = warnings === undefined ? outcome : { ...outcome, warnings };
    callSafely(() => onOutcome(reported), logOutcomeFailure);
  }

  function reportError(error: unknown, task: PiapiTask, context: PiapiWebhookContext): void {
    callSafely(() => onError(error, task, context), logErrorHookFailure);
  }

  function handlerFailed(error: unknown, task: PiapiTask, context: PiapiWebhookContext, done: (succeeded: boolean) => void): void {
    reportError(error, task, context);
    done(false);
  }

  /**
   * Runs `onTask` and calls `done` with whether it succeeded, after reporting a
   * failure. A synchronous handler costs no promise.
   */
  function runHandler(task: PiapiTask, context: PiapiWebhookContext, done: (succeeded: boolean) => void): void {
    let result: unknown;
    try {
      result = onTask(task, context);
    } catch (error) {
      handlerFailed(error, task, context, done);
      return;
    }
    if (isThenable(result)) {
      Promise.resolve(result).then(
        () => done(true),
        (error: unknown) => handlerFailed(error, task, context, done),
      );
    } else {
      done(true);
    }
  }

  function storeFailed<T>(operation: 'claim' | 'release', cause: unknown, fallback: T, task: PiapiTask, context: PiapiWebhookContext): T {
    const error = new PiapiWebhookStoreError(operation, cause);
    emit({ type: 'store_error', operation, error, task, context });
    reportError(error, task, context);
    return fallback;
  }

  /**
   * Calls the store; a failure or a timeout is reported, and `fallback` stands in
   * for the answer. A store that answers synchronously is not made to wait.
   */
  function useStore<T>(
    operation: 'claim' | 'release',
    call: () => T | Promise<T>,
    fallback: T,
    task: PiapiTask,
    context: PiapiWebhookContext,
  ): T | Promise<T> {
    try {
      const result = call();
      if (!isThenable(result)) return result;
      return withTimeout(Promise.resolve(result), config.storeTimeoutMs).catch((cause: unknown) =>
        storeFailed(operation, cause, fallback, task, context),
      );
    } catch (cause) {
      return storeFailed(operation, cause, fallback, task, context);
    }
  }

  /** After the claim: go ahead, or give the place back and report a duplicate. */
  function settleClaim(claimed: boolean, place: PendingHandler, task: PiapiTask, context: PiapiWebhookContext): boolean {
    if (claimed) return true;
    scheduler.cancel(place);
    emit({ type: 'duplicate', statusCode: 200, task, context });
    return false;
  }

  /** Claims the delivery in the store; true when it is new. */
  function claim(place: PendingHandler, task: PiapiTask, context: PiapiWebhookContext): boolean | Promise<boolean> {
    const call = (): boolean | Promise<boolean> => store.claim(context.deliveryKey, config.dedupeTtlSeconds);
    // A claim that cannot be checked is taken: handling a delivery twice is recoverable, losing it is not.
    const claimed = useStore('claim', call, true, task, context);
    if (typeof claimed === 'boolean') return settleClaim(claimed, place, task, context);
    return claimed.then((result) => settleClaim(result, place, task, context));
  }

  function answerRejection(rejection: PiapiWebhookRejection, task: PiapiTask | undefined): ReceiverAnswer {
    const { reason, statusCode, message } = rejection;
    emit(task === undefined ? { type: 'rejected', statusCode, reason, message } : { type: 'rejected', statusCode, reason, message, task });
    return jsonAnswer(statusCode, { error: reason, message }, EXTRA_HEADERS[reason]);
  }

  function answerError(error: unknown, task: PiapiTask | undefined): ReceiverAnswer {
    if (error instanceof PiapiWebhookRejection) return answerRejection(error, task);
    console.error('[piapi-webhook] unexpected error while receiving a delivery:', error);
    return answerRejection(new PiapiWebhookRejection('internal_error'), task);
  }

  /** The answer of ack 'immediate': 200, and for a new delivery its handler, to start once the answer is written. */
  function immediateAnswer(claimed: boolean, place: PendingHandler, task: PiapiTask, context: PiapiWebhookContext): ReceiverAnswer {
    if (!claimed) return ACCEPTED;
    emit({ type: 'accepted', statusCode: 200, task, context });
    return {
      ...ACCEPTED,
      afterResponse: (finished) =>
        scheduler.start(place, (done) =>
          runHandler(task, context, finished === undefined ? done : () => {
            done();
            finished();
          }),
        ),
    };
  }

  /** ack 'immediate': answer 200 now, and run the handler once the answer has been written. */
  function ackFirst(place: PendingHandler, task: PiapiTask, context: PiapiWebhookContext): ReceiverAnswer | Promise<ReceiverAnswer> {
    const claimed = claim(place, task, context);
    if (typeof claimed === 'boolean') return immediateAnswer(claimed, place, task, context);
    return claimed.then((result) => immediateAnswer(result, place, task, context));
  }

  /** ack 'after-handler': answer with the handler's result; release the claim if it failed. */
  async function ackAfterHandler(place: PendingHandler, task: PiapiTask, context: PiapiWebhookContext): Promise<ReceiverAnswer> {
    if (!(await claim(place, task, context))) return ACCEPTED;
    const succeeded = await new Promise<boolean>((resolve) =>
      scheduler.start(place, (done) =>
        runHandler(task, context, (ok) => {
          done();
          resolve(ok);
        }),
      ),
    );
    if (succeeded) {
      emit({ type: 'accepted', statusCode: 200, task, context });
      return ACCEPTED;
    }
    // Forget the claim before answering, so that PiAPI's retry is processed.
    await useStore('release', () => store.release(context.deliveryKey), undefined, task, context);
    return answerRejection(new PiapiWebhookRejection('handler_failed'), task);
  }

  /** Capacity, dedupe and handler, for a notification that passed every check. */
  function decide(task: PiapiTask, context: PiapiWebhookContext): ReceiverAnswer | Promise<ReceiverAnswer> {
    const copyOf = inProgress.get(context.deliveryKey);
    if (copyOf !== undefined) {
      return copyOf.then((answer) => {
        emit({ type: 'duplicate', statusCode: answer.statusCode, task, context });
        return answer;
      });
    }
    // Held before the claim, so that a full queue refuses a delivery without claiming it.
    const place = scheduler.reserve(task.task_id, task.status, context.deliveryKey);
    if (typeof place === 'string') throw new PiapiWebhookRejection(place);
    if (config.ack === 'immediate') return ackFirst(place, task, context);

    const answer = ackAfterHandler(place, task, context);
    inProgress.set(context.deliveryKey, answer);
    const forget = (): void => void inProgress.delete(context.deliveryKey);
    answer.then(forget, forget);
    return answer;
  }

  /** Parses and checks a body, and decides its answer; nothing escapes. */
  function answerBody(body: unknown): ReceiverAnswer | Promise<ReceiverAnswer> {
    let task: PiapiTask | undefined;
    try {
      const warnings: string[] = [];
      const notification = parseNotification(body, warnings);
      task = notification.data;
      if (warnings.length > 0) driftOf.set(task, warnings);
      const receivedAt = config.now();
      checkTimestamp(notification.timestamp, receivedAt, config.maxSkewSeconds);
      const context: PiapiWebhookContext = {
        timestamp: notification.timestamp,
        receivedAt,
        deliveryKey: deliveryKey(task, notification.timestamp),
      };
      const answer = decide(task, context);
      return isThenable(answer) ? Promise.resolve(answer).catch((error: unknown) => answerError(error, task)) : answer;
    } catch (error) {
      return answerError(error, task);
    }
  }

  function readAndAnswer(delivery: IncomingDelivery): void {
    delivery.readBody(config.limitBytes, (readError, body) => {
      const answer = readError === undefined ? answerBody(body) : answerError(readError, undefined);
      if (isThenable(answer)) void answer.then((settled) => delivery.respond(settled));
      else delivery.respond(answer);
    });
  }

  function checkMediaAndRead(delivery: IncomingDelivery): void {
    try {
      checkMediaType(delivery.contentType, delivery.contentEncoding);
    } catch (error) {
      delivery.respond(answerError(error, undefined));
      return;
    }
    readAndAnswer(delivery);
  }

  function receive(delivery: IncomingDelivery): void {
    let secretChecked: void | Promise<void>;
    try {
      if (delivery.method !== 'POST') throw new PiapiWebhookRejection('method_not_allowed');
      // The secret is checked before anything of the request is read or parsed.
      secretChecked = checkSecret(delivery.secret);
    } catch (error) {
      delivery.respond(answerError(error, undefined));
      return;
    }
    if (secretChecked === undefined) checkMediaAndRead(delivery);
    else secretChecked.then(() => checkMediaAndRead(delivery), (error: unknown) => delivery.respond(answerError(error, undefined)));
  }

  return {
    receive,
    controls: { drain: (timeoutMs = DEFAULT_DRAIN_TIMEOUT_MS) => scheduler.drain(timeoutMs) },
  };
}
