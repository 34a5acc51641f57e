import type { DedupeStore } from './dedupe.js';
import { PiapiWebhookConfigError, PiapiWebhookStoreError } from './errors.js';
import { DEFAULTS, MIN_DEDUPE_TTL_SECONDS } from './defaults.js';
import {
  aFunction,
  describe,
  isNonArrayObject,
  isObject,
  knownKeysOnly,
  nonNegativeInteger,
  oneOf,
  positiveInteger,
  positiveNumber,
} from './option-checks.js';
import { parseLimit, parseSecrets } from './option-parsers.js';
import type { PiapiTask, PiapiWebhookContext } from './types.js';
import type { PiapiWebhookLogger, WebhookOutcome } from './outcomes.js';
import { parseRecovery, type RecoveryConfig, type RecoveryOptions } from '../recovery/options.js';

export type { PiapiWebhookLogger, WebhookOutcome } from './outcomes.js';
export type { RecoveryOptions } from '../recovery/options.js';

/** When the 200 is sent: see {@link PiapiWebhookOptions.ack}. */
export type AckMode = 'immediate' | 'after-handler';

/** Options for {@link piapiWebhook}. */
export interface PiapiWebhookOptions {
  /**
   * The secret configured on the PiAPI task, compared in constant time with the
   * `x-webhook-secret` header. Pass several to rotate: any of them is accepted.
   */
  secret: string | readonly string[];
  /**
   * Runs once per new delivery. Its failures (a throw or a rejected promise) go
   * to `onError`.
   */
  onTask: (task: PiapiTask, context: PiapiWebhookContext) => unknown;
  /**
   * Receives what `onTask` threw or rejected with, {@link PiapiWebhookHandlerTimeoutError}s,
   * and {@link PiapiWebhookStoreError}s. `task` and `context` are absent for
   * failures outside a delivery (a Redis connection error, a recovery sweep).
   * @defaultValue logs the error with `logger.error`, saying which of those it is
   */
  onError?: (error: unknown, task: PiapiTask | undefined, context: PiapiWebhookContext | undefined) => void;
  /**
   * Sees every outcome (accepted, duplicate, rejected with its reason, store
   * errors), for logs and metrics. It never sees the secret. Its own errors are
   * logged and ignored.
   * @defaultValue none
   */
  onOutcome?: (outcome: WebhookOutcome) => void;
  /**
   * How far `timestamp` may be from the clock, in seconds, in either direction.
   * @defaultValue 300
   */
  maxSkewSeconds?: number;
  /**
   * The largest body accepted, in bytes or as a string such as `'512kb'`.
   * @defaultValue '1mb'
   */
  limit?: number | string;
  /**
   * The clock, in milliseconds since the epoch. Inject one in tests.
   * @defaultValue Date.now
   */
  now?: () => number;
  /**
   * Where delivery keys are remembered. Use `redisStore()` when several
   * instances receive the same webhooks.
   * @defaultValue memoryStore(), in this process, at most 100 000 keys
   */
  store?: DedupeStore;
  /**
   * How long a store may take to claim or release, in milliseconds, before it
   * counts as failed.
   * @defaultValue 2000
   */
  storeTimeoutMs?: number;
  /**
   * After the store fails or times out, how long it is skipped, in
   * milliseconds: deliveries are handled at once, deduped in this process,
   * instead of each waiting `storeTimeoutMs` (reported as `store_error`
   * outcomes, and once per outage to `onError`). The break ends earlier when
   * the store reports it is ready again (a Redis client's `'ready'`); then
   * what was handled meanwhile is recorded in it.
   * @defaultValue 5000
   */
  storeCooldownMs?: number;
  /**
   * `'immediate'`: answer 200 first, then run `onTask` (fast; a failed handler
   * is not redelivered). `'after-handler'`: answer once `onTask` has settled,
   * 200 on success and 500 on failure, so that PiAPI redelivers.
   * @defaultValue 'immediate'
   */
  ack?: AckMode;
  /**
   * How many `onTask` calls may run at once.
   * @defaultValue 10
   */
  maxConcurrency?: number;
  /**
   * How many accepted deliveries may wait for a free handler. Beyond
   * `maxConcurrency + maxQueue`, deliveries are answered 503 and not claimed, so
   * PiAPI retries them later.
   * @defaultValue 1000
   */
  maxQueue?: number;
  /**
   * How long an in-progress claim outlives its owner, in seconds (fractions
   * allowed). The owner renews it every `leaseSeconds / 3` while `onTask` runs,
   * so a live handler keeps its claim however long it takes, and a crashed
   * instance's claim frees within `leaseSeconds`, in time for PiAPI's retries
   * (5 s apart) or the recovery to take it over.
   * @defaultValue 10
   */
  leaseSeconds?: number;
  /**
   * How long `onTask` may run, in milliseconds. Past it the delivery counts as
   * failed: its place is freed, `onError` gets a {@link PiapiWebhookHandlerTimeoutError},
   * the claim is released so that a retry or the recovery runs it again, and with
   * `ack: 'after-handler'` it is answered 500. The late handler is not stopped.
   * @defaultValue 120000 (2 minutes)
   */
  handlerTimeoutMs?: number;
  /**
   * How long the body may take to arrive once the secret is accepted, in
   * milliseconds; slower bodies are answered 408 `body_timeout` and the
   * connection closed. PiAPI sends a few kilobytes from Cloudflare's network.
   * @defaultValue 10000
   */
  bodyTimeoutMs?: number;
  /**
   * Where the middleware logs what it cannot hand to a hook. Never given a secret or API key.
   * @defaultValue console
   */
  logger?: PiapiWebhookLogger;
  /**
   * Turns on recovery through PiAPI's get-task API: lost notifications are
   * fetched, and failed terminal deliveries re-run, until `maxAgeSeconds`.
   * See {@link RecoveryOptions} and docs/guarantees.md.
   * @defaultValue off
   */
  recovery?: RecoveryOptions;
}

/** The parsed, complete, frozen configuration the middleware runs on. */
export interface ReceiverConfig {
  readonly secrets: readonly string[];
  readonly onTask: PiapiWebhookOptions['onTask'];
  readonly logger: PiapiWebhookLogger;
  readonly leaseMs: number;
  readonly handlerTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly recovery: RecoveryConfig | undefined;
  readonly onError: NonNullable<PiapiWebhookOptions['onError']>;
  readonly onOutcome: PiapiWebhookOptions['onOutcome'];
  readonly maxSkewSeconds: number;
  readonly limitBytes: number;
  readonly now: () => number;
  readonly store: DedupeStore;
  /** How long the store must remember a key: the replay window, and at least an hour. */
  readonly dedupeTtlSeconds: number;
  readonly storeTimeoutMs: number;
  readonly storeCooldownMs: number;
  readonly ack: AckMode;
  readonly maxConcurrency: number;
  readonly maxQueue: number;
}

const ACK_MODES: readonly AckMode[] = ['immediate', 'after-handler'];

const OPTION_NAMES: ReadonlySet<string> = new Set<keyof PiapiWebhookOptions>([
  'secret',
  'onTask',
  'onError',
  'onOutcome',
  'maxSkewSeconds',
  'limit',
  'now',
  'store',
  'storeTimeoutMs',
  'storeCooldownMs',
  'ack',
  'maxConcurrency',
  'maxQueue',
  'leaseSeconds',
  'handlerTimeoutMs',
  'bodyTimeoutMs',
  'logger',
  'recovery',
]);

/** The default `onError`: one log line that says what failed, without blaming onTask for a store outage. */
function logErrors(logger: PiapiWebhookLogger): NonNullable<PiapiWebhookOptions['onError']> {
  return (error, task) => {
    const taskId = task?.task_id;
    if (error instanceof PiapiWebhookStoreError)
      logger.error(
        { err: error, taskId },
        '[piapi-webhook] the dedupe store failed; deliveries are handled without it meanwhile',
      );
    else if (task === undefined) logger.error({ err: error }, '[piapi-webhook] recovery failed');
    else logger.error({ err: error, taskId }, `[piapi-webhook] onTask failed for task ${taskId}`);
  };
}

function parseLogger(value: unknown): PiapiWebhookLogger {
  if (!isObject(value) || typeof value['warn'] !== 'function' || typeof value['error'] !== 'function') {
    throw new PiapiWebhookConfigError(
      'logger',
      `must be an object with warn() and error() methods (console, a pino logger), received ${describe(value)}.`,
    );
  }
  return value as unknown as PiapiWebhookLogger;
}

const STORE_METHODS = [
  'claim',
  'renew',
  'complete',
  'release',
  'watch',
  'unwatch',
  'takeDueWatches',
  'rescheduleWatch',
] as const;

function parseStore(value: unknown): DedupeStore {
  const missing = isObject(value)
    ? STORE_METHODS.filter((method) => typeof value[method] !== 'function')
    : STORE_METHODS;
  if (missing.length > 0) {
    throw new PiapiWebhookConfigError(
      'store',
      `must be a DedupeStore such as memoryStore() or redisStore(client) (missing: ${missing.join(', ')}), received ${describe(value)}. A store of your own implements every DedupeStore method (leased claims and the watch list), atomically: see docs/stores.md in the piapi-webhook repository.`,
    );
  }
  return value as DedupeStore;
}

/** Builds the store used when the `store` option is absent; adapters pass `memoryStore`, so the core imports no store. */
export type DefaultStoreFactory = (options: { now: () => number; replayWindowSeconds: number }) => DedupeStore;

/**
 * Turns the user's options into the complete internal configuration, or throws a
 * {@link PiapiWebhookConfigError} naming the first option that is wrong. An
 * option left out (or `undefined`) takes its value from {@link DEFAULTS}.
 *
 * @param options - what the user passed
 * @param createDefaultStore - builds the store when `store` is not given
 */
export function parseOptions(options: unknown, createDefaultStore: DefaultStoreFactory): ReceiverConfig {
  if (!isNonArrayObject(options)) {
    throw new PiapiWebhookConfigError(
      'options',
      `must be an object with at least { secret, onTask }, received ${describe(options)}.`,
    );
  }
  knownKeysOnly(options, OPTION_NAMES);
  const given = options as Partial<PiapiWebhookOptions>;
  // express-rate-limit spreads its defaults under the user's options; a key given as undefined must not hide one.
  const valueOf = <K extends keyof typeof DEFAULTS & keyof PiapiWebhookOptions>(key: K): unknown =>
    given[key] === undefined ? DEFAULTS[key] : given[key];

  if (given.secret === undefined) {
    throw new PiapiWebhookConfigError('secret', 'is required: pass the secret configured on your PiAPI tasks.');
  }
  const secrets = parseSecrets(given.secret);
  if (given.onTask === undefined) {
    throw new PiapiWebhookConfigError('onTask', 'is required: pass the function that handles each task.');
  }
  const onTask = aFunction('onTask', given.onTask);
  const logger = given.logger === undefined ? console : parseLogger(given.logger);
  const onError = given.onError === undefined ? logErrors(logger) : aFunction('onError', given.onError);
  const onOutcome = given.onOutcome === undefined ? undefined : aFunction('onOutcome', given.onOutcome);
  const now = given.now === undefined ? Date.now : aFunction('now', given.now);
  const maxSkewSeconds = positiveNumber('maxSkewSeconds', valueOf('maxSkewSeconds'));
  // `??`, not valueOf: a null limit or ack has always meant the default.
  const limitBytes = parseLimit(given.limit ?? DEFAULTS.limit);

  const store =
    given.store === undefined
      ? createDefaultStore({ now, replayWindowSeconds: 2 * maxSkewSeconds })
      : parseStore(given.store);
  const storeTimeoutMs = positiveNumber('storeTimeoutMs', valueOf('storeTimeoutMs'));
  const storeCooldownMs = positiveNumber('storeCooldownMs', valueOf('storeCooldownMs'));
  const ack = oneOf('ack', given.ack ?? DEFAULTS.ack, ACK_MODES);
  const maxConcurrency = positiveInteger('maxConcurrency', valueOf('maxConcurrency'));
  const maxQueue = nonNegativeInteger('maxQueue', valueOf('maxQueue'));
  const leaseSeconds = positiveNumber('leaseSeconds', valueOf('leaseSeconds'));
  const handlerTimeoutMs = positiveNumber('handlerTimeoutMs', valueOf('handlerTimeoutMs'));
  const bodyTimeoutMs = positiveNumber('bodyTimeoutMs', valueOf('bodyTimeoutMs'));

  return Object.freeze({
    secrets: Object.freeze(secrets),
    onTask,
    logger,
    leaseMs: leaseSeconds * 1000,
    handlerTimeoutMs,
    bodyTimeoutMs,
    recovery: given.recovery === undefined ? undefined : parseRecovery(given.recovery),
    onError,
    onOutcome,
    maxSkewSeconds,
    limitBytes,
    now,
    store,
    // A copy passes the timestamp check for 2 × maxSkewSeconds: remember it at least that long.
    dedupeTtlSeconds: Math.max(MIN_DEDUPE_TTL_SECONDS, 2 * maxSkewSeconds),
    storeTimeoutMs,
    storeCooldownMs,
    ack,
    maxConcurrency,
    maxQueue,
  });
}
