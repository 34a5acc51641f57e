// piapi-webhook/fetch: the Fetch (Request/Response) entry. Everything it imports
// runs without node:* modules, Buffer or eval (__tests__/fetch/portable.test.ts).
export { piapiWebhookHandler, type PiapiWebhookHandler, type WaitUntilContext } from './handler.js';
export { reconcileHandler, type ReconcileHandlerOptions, type ReconcilingHook } from './reconcile-handler.js';
export * from '../portable.js';
