import { rejectionAnswer, type ReceiverAnswer } from './answers.js';
import { PiapiWebhookRejection } from './errors.js';
import { isThenable } from './maybe.js';
import type { ReceiverConfig } from './options.js';
import { parseNotification } from './parse.js';
import type { Pipeline } from './pipeline.js';
import type { Platform } from './platform.js';
import type { PiapiTask } from './types.js';
import { startTimer } from './timers.js';
import { checkMediaType, checkTimestamp, createSecretCheck } from './http-checks.js';

export type { ReceiverAnswer } from './answers.js';

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
  /** Stops reading the body (it took longer than `bodyTimeoutMs`); the answer that follows closes the connection. */
  abortBody(): void;
  /** Writes the answer, then runs its `afterResponse`, if any; called exactly once. */
  respond(answer: ReceiverAnswer): void;
}

export interface Receiver {
  /**
   * Decides the answer to a delivery and hands it to `delivery.respond`, exactly
   * once. With a synchronous store (the default) that happens in the same turn as
   * the body's last byte: answering from a later microtask costs Node measurably more.
   */
  receive(delivery: IncomingDelivery): void;
}

/**
 * The HTTP part of the pipeline: method, secret, media type, body (with its
 * deadline), JSON, schema and timestamp. What follows is the shared {@link Pipeline}.
 */
export function createReceiver(config: ReceiverConfig, platform: Platform, pipeline: Pipeline): Receiver {
  const checkSecret = createSecretCheck(config.secrets, platform);

  function answerError(error: unknown, task: PiapiTask | undefined): ReceiverAnswer {
    let rejection: PiapiWebhookRejection;
    if (error instanceof PiapiWebhookRejection) rejection = error;
    else {
      config.logger.error({ err: error }, '[piapi-webhook] unexpected error while receiving a delivery');
      rejection = new PiapiWebhookRejection('internal_error');
    }
    pipeline.emitRejected(rejection, task);
    return rejectionAnswer(rejection);
  }

  /** Parses and checks a body, and decides its answer; nothing escapes. */
  function answerBody(body: unknown): ReceiverAnswer | Promise<ReceiverAnswer> {
    let task: PiapiTask | undefined;
    try {
      const warnings: string[] = [];
      const notification = parseNotification(body, warnings);
      task = notification.data;
      const receivedAt = config.now();
      checkTimestamp(notification.timestamp, receivedAt, config.maxSkewSeconds);
      const answer = pipeline.answer(notification, receivedAt, warnings);
      return answer instanceof Promise ? answer.catch((error: unknown) => answerError(error, task)) : answer;
    } catch (error) {
      return answerError(error, task);
    }
  }

  function readAndAnswer(delivery: IncomingDelivery): void {
    let answered = false;
    const respondOnce = (answer: ReceiverAnswer): void => {
      if (answered) return;
      answered = true;
      clearTimeout(deadline);
      delivery.respond(answer);
    };
    // A slow body from someone who holds the secret would otherwise hold a socket for minutes.
    const deadline = startTimer(() => {
      if (answered) return;
      delivery.abortBody();
      respondOnce(answerError(new PiapiWebhookRejection('body_timeout'), undefined));
    }, config.bodyTimeoutMs);
    delivery.readBody(config.limitBytes, (readError, body) => {
      if (answered) return;
      clearTimeout(deadline);
      const answer = readError === undefined ? answerBody(body) : answerError(readError, undefined);
      if (isThenable(answer)) void answer.then(respondOnce);
      else respondOnce(answer);
    });
  }

  return {
    receive(delivery) {
      try {
        if (delivery.method !== 'POST') throw new PiapiWebhookRejection('method_not_allowed');
        // The secret is checked before anything of the request is read or parsed.
        checkSecret(delivery.secret);
        checkMediaType(delivery.contentType, delivery.contentEncoding);
      } catch (error) {
        delivery.respond(answerError(error, undefined));
        return;
      }
      readAndAnswer(delivery);
    },
  };
}
