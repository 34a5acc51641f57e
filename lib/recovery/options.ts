import { DEFAULTS } from '../core/defaults.js';
import { PiapiWebhookConfigError } from '../core/errors.js';
import {
  describe,
  isNonArrayObject,
  knownKeysOnly,
  nonNegativeNumber,
  positiveInteger,
  positiveNumber,
} from '../core/option-checks.js';
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

/** Validates the `recovery` option, naming `recovery.<name>` in any error. */
export function parseRecovery(value: unknown): RecoveryConfig {
  if (!isNonArrayObject(value)) {
    throw new PiapiWebhookConfigError(
      'recovery',
      `must be an object with at least { apiKey }, received ${describe(value)}.`,
    );
  }
  const given = value;
  knownKeysOnly(given, RECOVERY_OPTION_NAMES, 'recovery.');
  const defaults = DEFAULTS.recovery;
  const { verify = defaults.verify } = given;
  // The key is never echoed: it is a secret.
  const apiKey = checkApiKey(given['apiKey']);
  const baseUrl = checkBaseUrl(
    given['baseUrl'] ?? defaults.baseUrl,
    given['allowInsecureBaseUrl'] ?? defaults.allowInsecureBaseUrl,
  );
  if (typeof verify !== 'boolean') {
    throw new PiapiWebhookConfigError('recovery.verify', `must be true or false, received ${describe(verify)}.`);
  }
  const valueOf = (name: keyof typeof defaults): unknown => (given[name] === undefined ? defaults[name] : given[name]);
  const seconds = (name: 'checkAfterSeconds' | 'intervalSeconds' | 'maxAgeSeconds', allowZero = false): number =>
    (allowZero ? nonNegativeNumber : positiveNumber)(`recovery.${name}`, valueOf(name)) * 1000;
  return Object.freeze({
    apiKey,
    baseUrl,
    allowInsecureBaseUrl: given['allowInsecureBaseUrl'] === true,
    checkAfterMs: seconds('checkAfterSeconds'),
    intervalMs: seconds('intervalSeconds', true),
    maxAgeMs: seconds('maxAgeSeconds'),
    verify,
    requestTimeoutMs: positiveNumber('recovery.requestTimeoutMs', valueOf('requestTimeoutMs')),
    concurrency: positiveInteger('recovery.concurrency', valueOf('concurrency')),
  });
}
