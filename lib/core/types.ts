/**
 * The shapes PiAPI sends. Only `task_id`, `model`, `task_type` and `status` are
 * guaranteed; every other documented field is optional because PiAPI omits or
 * changes some of them per model and over time (see docs/api.md).
 *
 * The schema in `lib/schema/` is the source of truth for this shape (the
 * validators are generated from it); `__tests__/core/schema-types.test.ts` fails
 * when these types and that schema disagree.
 */

/** The statuses PiAPI documents, in the lowercase form this package hands out. */
export type KnownTaskStatus = 'pending' | 'processing' | 'staged' | 'completed' | 'failed';

/**
 * A task's status, always lowercase. One of {@link KnownTaskStatus} in practice;
 * any other string PiAPI may add later (a cancelled task's status is undocumented)
 * is passed through lowercased rather than refused.
 */
// `string & {}` keeps editor completion for the known values while staying open.
export type PiapiTaskStatus = KnownTaskStatus | (string & {});

/** `data.error`. On success PiAPI sends `{ code: 0, raw_message: "", message: "", detail: null }`. */
export interface PiapiTaskError {
  code?: number;
  raw_message?: string;
  message?: string;
  detail?: unknown;
  [key: string]: unknown;
}

/** `data.meta`: timings and billing. Can be `{}`. */
export interface PiapiTaskMeta {
  /** RFC 3339; the Go zero time `0001-01-01T00:00:00Z` when unset. */
  created_at?: string;
  started_at?: string;
  ended_at?: string;
  usage?: { type?: string; frozen?: number; consume?: number; [key: string]: unknown };
  is_using_private_pool?: boolean;
  [key: string]: unknown;
}

/** `data.config`. The webhook secret PiAPI echoes here is removed before your code sees it. */
export interface PiapiTaskConfig {
  service_mode?: string;
  webhook_config?: { endpoint?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** A PiAPI task, as in the `data` of the unified get-task API. */
export interface PiapiTask {
  task_id: string;
  /** Free-form: `midjourney`, `kling`, `Qubico/flux1-dev`, … */
  model: string;
  task_type: string;
  status: PiapiTaskStatus;
  config?: PiapiTaskConfig;
  input?: Record<string, unknown>;
  /** Model-specific; `null` or zero-valued while a task is pending. */
  output?: Record<string, unknown> | null;
  meta?: PiapiTaskMeta;
  detail?: unknown;
  logs?: unknown[] | null;
  error?: PiapiTaskError;
}

/** The body of one PiAPI webhook delivery. */
export interface PiapiNotification {
  /** Unix seconds. A retry of the same delivery carries the same value. */
  timestamp: number;
  data: PiapiTask;
}

/** What `onTask` receives beside the task. */
export interface PiapiWebhookContext {
  /** The delivery's `timestamp`, in Unix seconds. */
  readonly timestamp: number;
  /** When the middleware accepted the delivery, in milliseconds from the `now` clock. */
  readonly receivedAt: number;
  /** The key this delivery was deduplicated under: a fixed-size hash (see docs/dedupe-and-leases.md). */
  readonly deliveryKey: string;
  /** Where the task came from: a webhook, the get-task recovery, or your own `deliver()` call. */
  readonly source: TaskSource;
  /**
   * Which try this is for this delivery key, from 1. It grows when a failed or
   * timed-out handler is retried (PiAPI's retry, a recovery, another instance),
   * so that a handler can be idempotent on purpose.
   */
  readonly attempt: number;
}

/** Where a task handed to `onTask` came from. */
export type TaskSource = 'webhook' | 'recovery' | 'deliver';
