import bytes from 'bytes';
import { PiapiWebhookConfigError, type RejectionReason } from './errors.js';
import type { PiapiTask, PiapiWebhookContext } from './types.js';

/** What the outcome hook sees for every request the middleware answers. */
export type WebhookOutcome =
  | {
      /** A new delivery: answered 200, and `onTask` runs. */
      readonly type: 'accepted';
      readonly statusCode: number;
      readonly task: PiapiTask;
      readonly context: PiapiWebhookContext;
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
    };

/** Options for {@link piapiWebhook}. */
export interface PiapiWebhookOptions {
  /**
   * The secret configured on the PiAPI task, compared in constant time with the
   * `x-webhook-secret` header. Pass several to rotate: any of them is accepted.
   */
  secret: string | readonly string[];
  /**
   * Runs once per new delivery, after the 200 answer has been sent. Its failures
   * (a throw or a rejected promise) go to `onError`.
   */
  onTask: (task: PiapiTask, context: PiapiWebhookContext) => unknown;
  /**
   * Receives what `onTask` threw or rejected with.
   * @defaultValue logs the task id and the error with `console.error`
   */
  onError?: (error: unknown, task: PiapiTask, context: PiapiWebhookContext) => void;
  /**
   * Sees every outcome (accepted, duplicate, rejected with its reason), for logs
   * and metrics. It never sees the secret. Its own errors are logged and ignored.
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
  /** Sizing of the in-memory dedupe cache. */
  dedupe?: {
    /**
     * How many delivery keys are remembered; the least recently used is forgotten first.
     * @defaultValue 10000
     */
    max?: number;
    /**
     * How long a delivery key is remembered, in seconds. It must cover the whole
     * window in which a copy can still pass the timestamp check, `2 × maxSkewSeconds`.
     * @defaultValue the larger of 3600 and `2 × maxSkewSeconds`
     */
    ttlSeconds?: number;
  };
}

/** The parsed, complete, frozen configuration the middleware runs on. */
export interface ReceiverConfig {
  readonly secrets: readonly string[];
  readonly onTask: PiapiWebhookOptions['onTask'];
  readonly onError: NonNullable<PiapiWebhookOptions['onError']>;
  readonly onOutcome: PiapiWebhookOptions['onOutcome'];
  readonly maxSkewSeconds: number;
  readonly limitBytes: number;
  readonly now: () => number;
  readonly dedupeMax: number;
  readonly dedupeTtlSeconds: number;
}

export const DEFAULT_MAX_SKEW_SECONDS = 300;
export const DEFAULT_LIMIT = '1mb';
export const DEFAULT_DEDUPE_MAX = 10_000;
export const MIN_DEDUPE_TTL_SECONDS = 3600;

const OPTION_NAMES: ReadonlySet<string> = new Set<keyof PiapiWebhookOptions>([
  'secret',
  'onTask',
  'onError',
  'onOutcome',
  'maxSkewSeconds',
  'limit',
  'now',
  'dedupe',
]);
const DEDUPE_OPTION_NAMES: ReadonlySet<string> = new Set(['max', 'ttlSeconds']);

function defaultOnError(error: unknown, task: PiapiTask): void {
  console.error(`[piapi-webhook] onTask failed for task ${task.task_id}:`, error);
}

/** Describes a value for an error message without ever echoing a secret. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejectUnknownKeys(value: Record<string, unknown>, known: ReadonlySet<string>, prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) {
      throw new PiapiWebhookConfigError(
        prefix + key,
        `is not an option. Known options: ${[...known].map((k) => prefix + k).join(', ')}.`,
      );
    }
  }
}

function parseSecrets(value: unknown): string[] {
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0) {
    throw new PiapiWebhookConfigError('secret', 'must list at least one secret.');
  }
  return list.map((secret) => {
    // The value is never echoed: it may be a real secret with a typo.
    if (typeof secret !== 'string' || secret.length === 0) {
      throw new PiapiWebhookConfigError(
        'secret',
        `must be a non-empty string or an array of them, received ${secret === '' ? 'an empty string' : `a value of type ${secret === null ? 'null' : typeof secret}`}. Set it to the secret configured on your PiAPI tasks (webhook_config.secret).`,
      );
    }
    // HTTP strips surrounding whitespace from header values, so such a secret could never match.
    if (secret.trim() !== secret) {
      throw new PiapiWebhookConfigError(
        'secret',
        'has leading or trailing whitespace, which an HTTP header can never carry. Trim it (a trailing newline from a .env file?).',
      );
    }
    return secret;
  });
}

function parsePositiveNumber(option: string, value: unknown, integer: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new PiapiWebhookConfigError(
      option,
      `must be a positive finite ${integer ? 'integer' : 'number'}, received ${describe(value)}.`,
    );
  }
  return value;
}

function parseLimit(value: unknown): number {
  const parsed = typeof value === 'string' ? bytes.parse(value) : value;
  if (typeof parsed !== 'number' || !Number.isSafeInteger(parsed) || parsed <= 0) {
    throw new PiapiWebhookConfigError(
      'limit',
      `must be a positive number of bytes or a size such as '1mb', received ${describe(value)}.`,
    );
  }
  return parsed;
}

function parseFunction<T>(option: string, value: T): NonNullable<T> {
  if (typeof value !== 'function') {
    throw new PiapiWebhookConfigError(option, `must be a function, received ${describe(value)}.`);
  }
  return value as NonNullable<T>;
}

/**
 * Turns the user's options into the complete internal configuration, or throws a
 * {@link PiapiWebhookConfigError} naming the first option that is wrong.
 */
export function parseOptions(options: unknown): ReceiverConfig {
  if (!isPlainObject(options)) {
    throw new PiapiWebhookConfigError('options', `must be an object with at least { secret, onTask }, received ${describe(options)}.`);
  }
  rejectUnknownKeys(options, OPTION_NAMES, '');
  const given = options as Partial<PiapiWebhookOptions>;

  if (given.secret === undefined) {
    throw new PiapiWebhookConfigError('secret', 'is required: pass the secret configured on your PiAPI tasks.');
  }
  const secrets = parseSecrets(given.secret);
  if (given.onTask === undefined) {
    throw new PiapiWebhookConfigError('onTask', 'is required: pass the function that handles each task.');
  }
  const onTask = parseFunction('onTask', given.onTask);
  const onError = given.onError === undefined ? defaultOnError : parseFunction('onError', given.onError);
  const onOutcome = given.onOutcome === undefined ? undefined : parseFunction('onOutcome', given.onOutcome);
  const now = given.now === undefined ? Date.now : parseFunction('now', given.now);
  const maxSkewSeconds =
    given.maxSkewSeconds === undefined
      ? DEFAULT_MAX_SKEW_SECONDS
      : parsePositiveNumber('maxSkewSeconds', given.maxSkewSeconds, false);
  const limitBytes = parseLimit(given.limit ?? DEFAULT_LIMIT);

  const dedupe: unknown = given.dedupe ?? {};
  if (!isPlainObject(dedupe)) {
    throw new PiapiWebhookConfigError('dedupe', `must be an object such as { max, ttlSeconds }, received ${describe(dedupe)}.`);
  }
  rejectUnknownKeys(dedupe, DEDUPE_OPTION_NAMES, 'dedupe.');
  const dedupeMax = dedupe['max'] === undefined ? DEFAULT_DEDUPE_MAX : parsePositiveNumber('dedupe.max', dedupe['max'], true);
  const replayWindow = 2 * maxSkewSeconds;
  const dedupeTtlSeconds =
    dedupe['ttlSeconds'] === undefined
      ? Math.max(MIN_DEDUPE_TTL_SECONDS, replayWindow)
      : parsePositiveNumber('dedupe.ttlSeconds', dedupe['ttlSeconds'], false);
  if (dedupeTtlSeconds < replayWindow) {
    throw new PiapiWebhookConfigError(
      'dedupe.ttlSeconds',
      `must be at least 2 × maxSkewSeconds (${replayWindow}), received ${dedupeTtlSeconds}: a copy can pass the timestamp check for that long, so a shorter memory would let it run twice.`,
    );
  }

  return Object.freeze({
    secrets: Object.freeze(secrets),
    onTask,
    onError,
    onOutcome,
    maxSkewSeconds,
    limitBytes,
    now,
    dedupeMax,
    dedupeTtlSeconds,
  });
}
