import { rejectionAnswer } from './core/answers.js';
import { PiapiWebhookRejection } from './core/errors.js';
import type { PiapiWebhookLogger, PiapiWebhookOptions } from './core/options.js';
import type { Platform } from './core/platform.js';
import type { Receiver } from './core/receiver.js';
import { createWebhook, type WebhookControls } from './webhook.js';

/**
 * The options, or a function that returns them. The function is called once,
 * on the first request (or the first call of a method such as `ready()`), so
 * that a module can build its handler before its secrets exist: `next build`
 * evaluates route modules, often without the runtime's environment.
 */
export type PiapiWebhookOptionsInput = PiapiWebhookOptions | (() => PiapiWebhookOptions);

/** What every entry's return value adds for the function form of the options. */
export interface ReadyControl {
  /**
   * Resolves the options now, if they were given as a function, and throws the
   * {@link PiapiWebhookConfigError} they cause; later calls throw the same
   * error. For those who want to fail fast at start-up rather than answer
   * `500 config_error` to the first delivery. It also starts what the options
   * start, such as the recovery sweep, which otherwise waits for the first
   * request. Does nothing when the options were given as an object: they were
   * checked before the factory returned.
   */
  ready(): void;
}

type Built = ReturnType<typeof createWebhook>;

/** Handlers of nothing: the state before the options are resolved, or after they failed. */
const IDLE_DRAIN = Object.freeze({ timedOut: false, pending: Object.freeze([]) });

/**
 * `createWebhook`, for options given either way. Given an object, it builds at
 * once (a mistake throws from the factory). Given a function, it builds on first
 * use; a config error then answers that request and every later one
 * `500 config_error`, and goes to `onError` (or the logger) once.
 *
 * @param input - the options, or a function that returns them
 * @param platform - the runtime's crypto
 */
export function createLazyWebhook(
  input: PiapiWebhookOptionsInput,
  platform: Platform,
): {
  readonly receiver: Receiver;
  readonly controls: WebhookControls & ReadyControl;
  readonly logger: PiapiWebhookLogger;
} {
  if (typeof input !== 'function') {
    const built = createWebhook(input, platform);
    return { ...built, controls: { ...built.controls, ready: () => undefined } };
  }
  let built: Built | undefined;
  let failure: { readonly error: unknown } | undefined;
  let drained = false;

  function build(): Built {
    if (built !== undefined) return built;
    if (failure !== undefined) throw failure.error;
    let options: PiapiWebhookOptions | undefined;
    try {
      options = (input as () => PiapiWebhookOptions)();
      built = createWebhook(options, platform);
      // drain() came first: the new hook refuses deliveries (503 draining) from the start.
      if (drained) void built.controls.drain(0);
      return built;
    } catch (error) {
      failure = { error };
      report(error, options);
      throw error;
    }
  }

  /** Hands a config error to the user's onError if the options name a usable one, else to the logger. */
  function report(error: unknown, options: PiapiWebhookOptions | undefined): void {
    const logger = usableLogger(options?.logger);
    try {
      if (typeof options?.onError === 'function') options.onError(error, undefined, undefined);
      else logger.error({ err: error }, '[piapi-webhook] the options are wrong; every delivery is answered 500');
    } catch (thrown) {
      logger.error({ err: thrown }, '[piapi-webhook] onError threw');
    }
  }

  const logger: PiapiWebhookLogger = {
    warn: (...args) => currentLogger().warn(...args),
    error: (...args) => currentLogger().error(...args),
  };
  const currentLogger = (): PiapiWebhookLogger => built?.logger ?? console;

  const receiver: Receiver = {
    receive(delivery) {
      let ready: Built;
      try {
        ready = build();
      } catch {
        delivery.respond(rejectionAnswer(new PiapiWebhookRejection('config_error')));
        return;
      }
      ready.receiver.receive(delivery);
    },
  };

  const controls: WebhookControls & ReadyControl = {
    ready() {
      build();
    },
    // Before the first request nothing has run, so there is nothing to wait for.
    drain(timeoutMs) {
      if (built !== undefined) return built.controls.drain(timeoutMs);
      drained = true;
      return Promise.resolve(IDLE_DRAIN);
    },
    settled: () => (built === undefined ? Promise.resolve() : built.controls.settled()),
    watch: async (taskId, options) => build().controls.watch(taskId, options),
    reconcile: async (taskIds) => build().controls.reconcile(taskIds),
    deliver: async (notificationOrTask, options) => build().controls.deliver(notificationOrTask, options),
  };
  return { receiver, controls, logger };
}

function usableLogger(value: unknown): PiapiWebhookLogger {
  const candidate = value as Partial<PiapiWebhookLogger> | undefined;
  return typeof candidate?.error === 'function' && typeof candidate.warn === 'function'
    ? (candidate as PiapiWebhookLogger)
    : console;
}
