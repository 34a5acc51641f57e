import { PiapiWebhookConfigError } from '../core/errors.js';
import { describe, positiveNumber } from '../core/option-checks.js';
import { checkApiKey, checkBaseUrl } from './option-checks.js';

/** The `recovery` option: asking PiAPI's get-task API about tasks whose end was not handled. */
export interface RecoveryOptions {
  /** Your PiAPI API key, sent as `x-api-key`. Never logged, never in an error or outcome. */
  apiKey: string;
  /**
   * Where PiAPI's API is. Tests point it at a local fake.
   * @defaultValue 'https://api.piapi.ai'
   */
  baseUrl?: string;
  /**
   * Allows a plain-`http:` `baseUrl` on a host that is not loopback
   * (`localhost`, `127.x.x.x`, `[::1]`). Every get-task request carries the
   * API key, so turn this on for a trusted network only (a proxy on a private
   * network).
   * @defaultValue false
   */
  allowInsecureBaseUrl?: boolean;
  /**
   * How long after a task is watched (by `watch()`, or by its first notification)
   * it is first checked, in seconds, if its end has not been handled by then.
   * Later checks back off, doubling up to ten times this.
   * @defaultValue 60
   */
  checkAfterSeconds?: number;
  /**
   * How often the background sweep checks due tasks, in seconds. Its timer is
   * unref'd, and `drain()` stops it. `0`: no timer; call `reconcile()` yourself
   * (from a cron on serverless platforms).
   * @defaultValue 30
   */
  intervalSeconds?: number;
  /**
   * How long a task stays watched, in seconds. After that it is reported as
   * `recovery_gave_up` (`max_age`) and no longer checked.
   * @defaultValue 86400 (a day)
   */
  maxAgeSeconds?: number;
  /**
   * Refetch every webhook's task from get-task and hand `onTask` PiAPI's own
   * copy. PiAPI signs nothing, so this is the only defence if the webhook
   * secret leaks; it costs one get-task call per delivery.
   * @defaultValue false
   */
  verify?: boolean;
  /**
   * How long one get-task request may take, in milliseconds. With `verify`,
   * the whole check inside a webhook's request: one attempt, then
   * `503 verify_unavailable` (the sweep keeps its retries and back-offs).
   * @defaultValue 10000
   */
  requestTimeoutMs?: number;
  /**
   * How many get-task requests may run at once.
   * @defaultValue 4
   */
  concurrency?: number;
}

/** The parsed `recovery` option. */
export interface RecoveryConfig {
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly allowInsecureBaseUrl: boolean;
  readonly checkAfterMs: number;
  readonly intervalMs: number;
  readonly maxAgeMs: number;
  readonly verify: boolean;
  readonly requestTimeoutMs: number;
  readonly concurrency: number;
}

const RECOVERY_OPTION_NAMES: ReadonlySet<string> = new Set<keyof RecoveryOptions>([
  'apiKey',
  'baseUrl',
  'allowInsecureBaseUrl',
  'checkAfterSeconds',
  'intervalSeconds',
  'maxAgeSeconds',
  'verify',
  'requestTimeoutMs',
  'concurrency',
]);

function nonNegativeNumber(option: string, value: unknown): number {
  if (value === 0) return 0;
  return positiveNumber(option, value);
}

/** Validates the `recovery` option, naming `recovery.<name>` in any error. */
export function parseRecovery(value: unknown): RecoveryConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PiapiWebhookConfigError(
      'recovery',
      `must be an object with at least { apiKey }, received ${describe(value)}.`,
    );
  }
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!RECOVERY_OPTION_NAMES.has(key)) {
      throw new PiapiWebhookConfigError(
        `recovery.${key}`,
        `is not an option. Known options: ${[...RECOVERY_OPTION_NAMES].join(', ')}.`,
      );
    }
  }
  const { verify = false } = given;
  // The key is never echoed: it is a secret.
  const apiKey = checkApiKey(given['apiKey']);
  const baseUrl = checkBaseUrl(given['baseUrl'] ?? 'https://api.piapi.ai', given['allowInsecureBaseUrl'] ?? false);
  if (typeof verify !== 'boolean') {
    throw new PiapiWebhookConfigError('recovery.verify', `must be true or false, received ${describe(verify)}.`);
  }
  const seconds = (name: string, fallback: number, allowZero = false): number => {
    const option = given[name];
    if (option === undefined) return fallback * 1000;
    return (
      (allowZero ? nonNegativeNumber(`recovery.${name}`, option) : positiveNumber(`recovery.${name}`, option)) * 1000
    );
  };
  return Object.freeze({
    apiKey,
    baseUrl,
    allowInsecureBaseUrl: given['allowInsecureBaseUrl'] === true,
    checkAfterMs: seconds('checkAfterSeconds', 60),
    intervalMs: seconds('intervalSeconds', 30, true),
    maxAgeMs: seconds('maxAgeSeconds', 86_400),
    verify,
    requestTimeoutMs:
      given['requestTimeoutMs'] === undefined
        ? 10_000
        : positiveNumber('recovery.requestTimeoutMs', given['requestTimeoutMs']),
    concurrency:
      given['concurrency'] === undefined ? 4 : positiveNumber('recovery.concurrency', given['concurrency'], true),
  });
}
