import { PiapiWebhookConfigError } from '../core/errors.js';
import { describe, positiveNumber } from '../core/option-checks.js';

/**
 * How far one `reconcile()` run may go. Serverless schedulers cut runs off
 * (Netlify after 30 s, Vercel at the function's `maxDuration`), so a run from a
 * cron should say how long it has.
 */
export interface ReconcileOptions {
  /**
   * The time the run has, in milliseconds from the call. Due tasks are taken
   * from the store a few at a time (`recovery.concurrency`), and a batch is
   * only taken while its get-task lookups can still end in time
   * (`recovery.requestTimeoutMs`); a lookup still running at the deadline is
   * abandoned and its task checked again later. The tasks not reached stay due
   * for the next run. A recovered task's `onTask` runs on top of this: leave it
   * room. Must be at least `recovery.requestTimeoutMs`.
   * @defaultValue no deadline
   */
  deadlineMs?: number;
  /**
   * The most tasks the run checks: due watched tasks taken from the store, or
   * ids passed in.
   * @defaultValue no limit (every task due when the run starts)
   */
  limit?: number;
}

/** The parsed {@link ReconcileOptions}. */
export interface ReconcileLimits {
  readonly deadlineMs: number;
  readonly limit: number;
}

const NAMES: ReadonlySet<string> = new Set<keyof ReconcileOptions>(['deadlineMs', 'limit']);

/**
 * Validates `reconcile()`'s options, naming `reconcile.<name>` in any error.
 *
 * @param value - the user's options, or undefined
 * @param requestTimeoutMs - the get-task client's request timeout: a shorter deadline could never start a lookup
 * @throws PiapiWebhookConfigError when an option is unknown or wrong
 */
export function parseReconcileOptions(value: unknown, requestTimeoutMs: number): ReconcileLimits {
  if (value === undefined) return { deadlineMs: Number.POSITIVE_INFINITY, limit: Number.POSITIVE_INFINITY };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PiapiWebhookConfigError(
      'reconcile',
      `options must be an object such as { deadlineMs: 25000, limit: 200 }, received ${describe(value)}.`,
    );
  }
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!NAMES.has(key))
      throw new PiapiWebhookConfigError(
        `reconcile.${key}`,
        `is not an option. Known options: ${[...NAMES].join(', ')}.`,
      );
  }
  const deadlineMs =
    given['deadlineMs'] === undefined
      ? Number.POSITIVE_INFINITY
      : positiveNumber('reconcile.deadlineMs', given['deadlineMs']);
  if (deadlineMs < requestTimeoutMs) {
    throw new PiapiWebhookConfigError(
      'reconcile.deadlineMs',
      `is ${deadlineMs} ms, shorter than one get-task request may take (recovery.requestTimeoutMs: ${requestTimeoutMs} ms), so no task could ever be checked. Raise deadlineMs or lower recovery.requestTimeoutMs.`,
    );
  }
  const limit =
    given['limit'] === undefined ? Number.POSITIVE_INFINITY : positiveNumber('reconcile.limit', given['limit'], true);
  return { deadlineMs, limit };
}

/**
 * Validates `reconcile()`'s task ids: undefined, or an array of non-empty strings.
 *
 * @param value - the user's `taskIds`
 * @throws PiapiWebhookConfigError when it is anything else
 */
export function parseTaskIds(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const bad = Array.isArray(value) ? value.findIndex((id) => typeof id !== 'string' || id === '') : -1;
  if (!Array.isArray(value) || bad >= 0) {
    const received = Array.isArray(value)
      ? `entry ${bad + 1} is ${describe(value[bad])}`
      : `received ${describe(value)}`;
    throw new PiapiWebhookConfigError(
      'reconcile.taskIds',
      `must be an array of task ids (non-empty strings), or undefined for the due watched tasks: ${received}.`,
    );
  }
  return value as string[];
}
