// piapi-webhook/fetch: the Fetch (Request/Response) entry. Everything it imports
// runs without node:* modules, Buffer or eval (__tests__/fetch/portable.test.ts).
export { piapiWebhookHandler, type PiapiWebhookHandler, type WaitUntilContext } from './handler.js';
export { memoryStore, type MemoryStore, type MemoryStoreOptions } from '../stores/memory.js';
export type { AckMode, PiapiWebhookOptions, WebhookOutcome } from '../core/options.js';
export type { DedupeStore } from '../core/dedupe.js';
export type { DrainReport, PendingHandler } from '../core/scheduler.js';
export type { WebhookControls } from '../core/receiver.js';
export { isKnownModel, isModel, isTaskOf, isTerminal, resultUrls } from '../core/task-helpers.js';
export type * from '../core/outputs.js';
export {
  PiapiWebhookConfigError,
  PiapiWebhookRejection,
  PiapiWebhookStoreError,
  REJECTION_STATUS,
  type RejectionReason,
} from '../core/errors.js';
export type {
  KnownTaskStatus,
  PiapiNotification,
  PiapiTask,
  PiapiTaskConfig,
  PiapiTaskError,
  PiapiTaskMeta,
  PiapiTaskStatus,
  PiapiWebhookContext,
} from '../core/types.js';
