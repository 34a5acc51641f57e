// What every entry exports beside its own factory: stores, types, errors and task helpers. Nothing here imports node:*.
export { memoryStore, type MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export type {
  AckMode,
  PiapiWebhookLogger,
  PiapiWebhookOptions,
  RecoveryOptions,
  WebhookOutcome,
} from './core/options.js';
export type { ClaimResult, DedupeStore, WatchedTask, WatchRequest } from './core/dedupe.js';
export type { DrainReport, PendingHandler } from './core/scheduler.js';
export type { WebhookControls } from './webhook.js';
export type { PiapiWebhookOptionsInput, ReadyControl } from './lazy-webhook.js';
export type { DeliverOutcome } from './core/pipeline.js';
export type { ReconcileReport } from './recovery/recovery.js';
export type { ReconcileOptions } from './recovery/reconcile-options.js';
export { isKnownModel, isModel, isTaskOf, isTerminal, resultUrls } from './core/task-helpers.js';
export type * from './core/outputs.js';
export {
  PiapiWebhookConfigError,
  PiapiWebhookHandlerTimeoutError,
  PiapiWebhookRejection,
  PiapiWebhookStoreError,
  PiapiWebhookWatchError,
  REJECTION_STATUS,
  type RejectionReason,
  type StoreOperation,
} from './core/errors.js';
export type {
  KnownTaskStatus,
  PiapiNotification,
  PiapiTask,
  PiapiTaskConfig,
  PiapiTaskError,
  PiapiTaskMeta,
  PiapiTaskStatus,
  PiapiWebhookContext,
  TaskSource,
} from './core/types.js';
