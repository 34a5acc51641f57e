/** The options and records of the fake PiAPI (`createFakePiapi`). */
/** How one task unfolds on its own, in milliseconds (before `timeScale`). */
export interface FakeTaskLifecycle {
  /** How long it stays `pending`. */
  readonly pendingMs: number;
  /** How long it then stays `processing`. */
  readonly processingMs: number;
  /** How it ends. */
  readonly outcome: 'completed' | 'failed';
}

/** The body of `POST /api/v1/task`, as far as the fake reads it. */
export interface FakeCreateTaskBody {
  model: string;
  task_type: string;
  input?: Record<string, unknown>;
  config?: { webhook_config?: { endpoint?: string; secret?: string } };
}

/** One attempt to deliver one webhook, and what came of it. */
export interface FakeDeliveryAttempt {
  readonly taskId: string;
  /** The status the notification carried. */
  readonly status: string;
  readonly timestamp: number;
  /** 1, 2, … up to `attempts`. */
  readonly attempt: number;
  /** The HTTP status, or the connection error's code (`ECONNREFUSED`, `ETIMEDOUT`, …). */
  readonly result: number | string;
  /** The endpoint's `x-piapi-webhook-outcome` header, if any. */
  readonly outcome?: string;
  /** True on the last failed attempt: PiAPI gives this notification up. */
  readonly dropped: boolean;
}

/** An answer to force on `GET /api/v1/task/{id}`. */
export interface FakeGetFault {
  status: number;
  headers?: Record<string, string>;
  /** A JSON value, or raw text. */
  body?: unknown;
}

/** Options for {@link createFakePiapi}. */
export interface FakePiapiOptions {
  /**
   * The key `x-api-key` must carry; other keys are answered 401.
   * @defaultValue 'fake-piapi-key'
   */
  apiKey?: string;
  /**
   * How each new task unfolds on its own, with a notification at each status;
   * `false`: tasks stay `pending` until you move them with `updateTask()`.
   * @defaultValue false
   */
  lifecycle?: false | ((index: number, random: () => number) => FakeTaskLifecycle);
  /**
   * Whether tasks notify their `webhook_config.endpoint`; `false`: only the task
   * API answers, as if every webhook were lost.
   * @defaultValue true
   */
  webhooks?: boolean;
  /**
   * Multiplies every duration (the lifecycle's and the retry delay): `0.01`
   * turns PiAPI's 5 s between attempts into 50 ms.
   * @defaultValue 1
   */
  timeScale?: number;
  /**
   * The wait before a failed notification is sent again, in milliseconds (before `timeScale`).
   * @defaultValue 5000 (PiAPI's)
   */
  retryDelayMs?: number;
  /**
   * Attempts per notification, the first included, before it is dropped.
   * @defaultValue 3 (PiAPI's)
   */
  attempts?: number;
  /**
   * How long an endpoint may take to answer before the attempt counts as failed, in milliseconds.
   * @defaultValue 15000
   */
  deliveryTimeoutMs?: number;
  /**
   * Seeds the `random` a lifecycle function receives, so that a run can be replayed.
   * @defaultValue 1
   */
  seed?: number;
  /**
   * The loopback port to listen on.
   * @defaultValue 0 (any free port)
   */
  port?: number;
}

/** A random lifecycle like PiAPI's: 5–20 s pending, 5–30 s processing, one task in five failed. */
export function randomLifecycle(_index: number, random: () => number): FakeTaskLifecycle {
  return {
    pendingMs: 5000 + random() * 15_000,
    processingMs: 5000 + random() * 25_000,
    outcome: random() < 0.2 ? 'failed' : 'completed',
  };
}
