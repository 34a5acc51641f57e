import { createDeliveryMemory, deliveryKey } from './dedupe.js';
import { PiapiWebhookRejection } from './errors.js';
import type { ReceiverConfig, WebhookOutcome } from './options.js';
import { parseNotification } from './parse.js';
import { notificationValidator } from './schema.js';
import type { PiapiTask, PiapiWebhookContext } from './types.js';
import { checkMediaType, checkTimestamp, createSecretCheck } from './verify.js';

/** One HTTP request, as an adapter hands it to the core. */
export interface IncomingDelivery {
  readonly method: string | undefined;
  readonly secret: string | undefined;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  /**
   * Reads the body, at most `limitBytes` of it: raw bytes or text, or a value an
   * upstream parser already produced. Throws a {@link PiapiWebhookRejection}.
   */
  readBody(limitBytes: number): Promise<unknown>;
}

/** What the adapter writes back, and what it runs once it has. */
export interface ReceiverAnswer {
  readonly statusCode: number;
  /** A JSON body. */
  readonly body: string;
  /** The `Allow` header, for 405 answers. */
  readonly allow?: string;
  /** Runs `onTask`; the adapter calls it after the answer has been written. */
  readonly afterResponse?: () => void;
}

export interface Receiver {
  receive(delivery: IncomingDelivery): Promise<ReceiverAnswer>;
}

const ACCEPTED_BODY = JSON.stringify({ ok: true });

/** Calls `run`, and sends a sync throw or an async rejection to `onFailure`: nothing escapes. */
function callSafely(run: () => unknown, onFailure: (error: unknown) => void): void {
  try {
    const result = run();
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
      Promise.resolve(result).then(undefined, onFailure);
    }
  } catch (error) {
    onFailure(error);
  }
}

function logHookFailure(hook: string): (error: unknown) => void {
  return (error) => console.error(`[piapi-webhook] ${hook} threw:`, error);
}

/**
 * The framework-free pipeline: method, secret, media type, body, schema,
 * timestamp, dedupe. It decides the answer; the adapter writes it.
 */
export function createReceiver(config: ReceiverConfig): Receiver {
  const checkSecret = createSecretCheck(config.secrets);
  const memory = createDeliveryMemory(config.dedupeMax, config.dedupeTtlSeconds, config.now);
  // Compile now, so the first delivery does not pay for it and a schema bug fails at startup.
  notificationValidator();
  const { onOutcome, onTask, onError } = config;
  const logOutcomeFailure = logHookFailure('onOutcome');
  const logErrorHookFailure = logHookFailure('onError');

  function emit(outcome: WebhookOutcome): void {
    if (onOutcome !== undefined) callSafely(() => onOutcome(outcome), logOutcomeFailure);
  }

  function runHandler(task: PiapiTask, context: PiapiWebhookContext): void {
    callSafely(
      () => onTask(task, context),
      (error) => callSafely(() => onError(error, task, context), logErrorHookFailure),
    );
  }

  function reject(rejection: PiapiWebhookRejection): ReceiverAnswer {
    const { reason, statusCode, message } = rejection;
    emit({ type: 'rejected', statusCode, reason, message });
    const body = JSON.stringify({ error: reason, message });
    return reason === 'method_not_allowed' ? { statusCode, body, allow: 'POST' } : { statusCode, body };
  }

  async function accept(delivery: IncomingDelivery): Promise<ReceiverAnswer> {
    if (delivery.method !== 'POST') throw new PiapiWebhookRejection('method_not_allowed');
    // The secret is checked first: nothing of an unauthenticated request is read or parsed.
    checkSecret(delivery.secret);
    checkMediaType(delivery.contentType, delivery.contentEncoding);
    const { timestamp, data: task } = parseNotification(await delivery.readBody(config.limitBytes));
    const receivedAt = config.now();
    checkTimestamp(timestamp, receivedAt, config.maxSkewSeconds);

    const context: PiapiWebhookContext = { timestamp, receivedAt, deliveryKey: deliveryKey(task, timestamp) };
    // Duplicates are answered 200 too: anything else makes PiAPI retry them.
    if (!memory.claim(context.deliveryKey)) {
      emit({ type: 'duplicate', statusCode: 200, task, context });
      return { statusCode: 200, body: ACCEPTED_BODY };
    }
    emit({ type: 'accepted', statusCode: 200, task, context });
    return { statusCode: 200, body: ACCEPTED_BODY, afterResponse: () => runHandler(task, context) };
  }

  return {
    async receive(delivery) {
      try {
        return await accept(delivery);
      } catch (error) {
        if (error instanceof PiapiWebhookRejection) return reject(error);
        console.error('[piapi-webhook] unexpected error while receiving a delivery:', error);
        return reject(new PiapiWebhookRejection('internal_error'));
      }
    },
  };
}
