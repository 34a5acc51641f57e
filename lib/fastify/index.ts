// piapi-webhook/fastify: the Fastify 5 plugin, and what every entry exports.
export { piapiWebhookPlugin, type PiapiWebhookPluginOptions } from './plugin.js';
export * from '../portable.js';
