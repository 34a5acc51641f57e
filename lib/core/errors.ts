/**
 * The two error families: {@link PiapiWebhookConfigError} for the developer who
 * set the middleware up wrongly (thrown at construction), and
 * {@link PiapiWebhookRejection} for a request that is refused (never thrown out
 * of the middleware: it becomes an HTTP answer).
 */

/** Every reason a request is refused, with the HTTP status it is answered with. */
export const REJECTION_STATUS = {
  method_not_allowed: 405,
  missing_secret: 401,
  invalid_secret: 401,
  unsupported_media_type: 415,
  payload_too_large: 413,
  body_timeout: 408,
  invalid_body: 400,
  invalid_json: 400,
  invalid_payload: 400,
  stale_timestamp: 400,
  body_unavailable: 500,
  handler_failed: 500,
  internal_error: 500,
  unverified: 400,
  overloaded: 503,
  draining: 503,
  in_progress: 503,
  store_full: 503,
  verify_unavailable: 503,
  config_error: 500,
} as const;

/** A stable code for why a request was refused; sent as `error` in the JSON body. */
export type RejectionReason = keyof typeof REJECTION_STATUS;

const DEFAULT_MESSAGES: Readonly<Record<RejectionReason, string>> = {
  method_not_allowed: 'PiAPI webhooks are delivered with POST.',
  missing_secret: 'The x-webhook-secret header is missing.',
  invalid_secret: 'The x-webhook-secret header does not match.',
  unsupported_media_type: 'The body must be sent as application/json.',
  payload_too_large: 'The body is larger than the configured limit.',
  body_timeout: 'The body did not arrive in time.',
  invalid_body: 'The body could not be read.',
  invalid_json: 'The body is not valid JSON.',
  invalid_payload: 'The body is not a PiAPI notification.',
  stale_timestamp: 'The timestamp is outside the accepted window.',
  body_unavailable:
    'The request body was consumed before piapi-webhook could read it. Mount piapiWebhook before other body parsers, or use express.json(), express.raw() or express.text().',
  handler_failed: 'The handler failed; the delivery was released so that a retry is processed.',
  internal_error: 'piapi-webhook failed unexpectedly; the error was logged.',
  unverified: "PiAPI's own copy of the task (get-task) does not confirm this delivery.",
  overloaded: 'Too many deliveries are waiting to be handled; retry later.',
  draining: 'This instance is shutting down; retry later.',
  in_progress: 'Another instance is handling this delivery now; retry later.',
  store_full: 'The dedupe store is full of deliveries it must still remember; retry later.',
  verify_unavailable: "PiAPI's get-task API could not confirm this delivery now; retry later.",
  config_error: 'piapi-webhook is not configured: its options are missing or wrong. The error went to onError.',
};

/** A request that is refused. Its `reason` is stable; its `message` is for humans. */
export class PiapiWebhookRejection extends Error {
  override readonly name = 'PiapiWebhookRejection';
  /** The HTTP status the request is answered with. */
  readonly statusCode: number;

  /**
   * @param reason - the stable code, one of {@link RejectionReason}
   * @param message - a human explanation; defaults to a fixed text per reason
   */
  constructor(
    readonly reason: RejectionReason,
    message: string = DEFAULT_MESSAGES[reason],
  ) {
    super(message);
    this.statusCode = REJECTION_STATUS[reason];
  }
}

/** What the middleware asks of its store; named in {@link PiapiWebhookStoreError}. */
export type StoreOperation =
  | 'claim'
  | 'renew'
  | 'complete'
  | 'release'
  | 'watch'
  | 'unwatch'
  | 'takeDueWatches'
  | 'rescheduleWatch'
  | 'purgeExpired'
  | 'connection';

/** The dedupe store failed or timed out. Sent to `onError`; the delivery is handled anyway. */
export class PiapiWebhookStoreError extends Error {
  override readonly name = 'PiapiWebhookStoreError';

  /**
   * @param operation - what the store was asked to do
   * @param cause - what it threw, or a timeout error
   */
  constructor(
    readonly operation: StoreOperation,
    cause: unknown,
  ) {
    super(
      `piapi-webhook: the dedupe store failed (${operation}): ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/**
 * `hook.watch(taskId)` could not record the task: its end is **not** recovered
 * if its webhooks are lost. `reason` is `'store_full'` (a `memoryStore` at its
 * `max` watched tasks) or `'store_failed'` (the store failed, timed out, or is
 * skipped after a failure; the store's error is the `cause`). Watch it again
 * later, or keep it in your own table and pass it to `reconcile(ids)`.
 */
export class PiapiWebhookWatchError extends Error {
  override readonly name = 'PiapiWebhookWatchError';
  /** A stable code for this error. */
  readonly code = 'ERR_PIAPI_WEBHOOK_WATCH';

  /**
   * @param taskId - the task that is not watched
   * @param reason - why: the store is full, or it failed
   * @param cause - the store's error, for `'store_failed'`
   */
  constructor(
    readonly taskId: string,
    readonly reason: 'store_full' | 'store_failed',
    cause?: unknown,
  ) {
    super(
      reason === 'store_full'
        ? `piapi-webhook: task ${taskId.slice(0, 256)} is not watched: the store is full of watched tasks.`
        : `piapi-webhook: task ${taskId.slice(0, 256)} is not watched: the store failed.`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** `onTask` ran past `handlerTimeoutMs`. Sent to `onError`; the delivery counts as failed. */
export class PiapiWebhookHandlerTimeoutError extends Error {
  override readonly name = 'PiapiWebhookHandlerTimeoutError';

  /** @param timeoutMs - the `handlerTimeoutMs` that passed */
  constructor(readonly timeoutMs: number) {
    super(
      `piapi-webhook: onTask did not settle within handlerTimeoutMs (${timeoutMs} ms); the delivery counts as failed.`,
    );
  }
}

/** The middleware was set up wrongly. Thrown by `piapiWebhook()` before it returns. */
export class PiapiWebhookConfigError extends TypeError {
  override readonly name = 'PiapiWebhookConfigError';
  /** A stable code for this family of errors. */
  readonly code = 'ERR_PIAPI_WEBHOOK_OPTION';

  /**
   * @param option - the option that is wrong, as the user spells it
   * @param message - what was expected, and how to fix it
   */
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`piapi-webhook: option "${option}" ${message}`);
  }
}
