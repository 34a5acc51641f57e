export { piapiWebhook, type PiapiWebhookMiddleware } from './express/middleware.js';
export * from './portable.js';
