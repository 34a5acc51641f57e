export { piapiWebhook, type PiapiWebhookMiddleware } from './express/middleware.js';
export type { PiapiWebhookOptions, WebhookOutcome } from './core/options.js';
export { PiapiWebhookConfigError, PiapiWebhookRejection, REJECTION_STATUS, type RejectionReason } from './core/errors.js';
export type {
  KnownTaskStatus,
  PiapiNotification,
  PiapiTask,
  PiapiTaskConfig,
  PiapiTaskError,
  PiapiTaskMeta,
  PiapiTaskStatus,
  PiapiWebhookContext,
} from './core/types.js';
