// piapi-webhook/fastify: the Fastify 5 plugin.
export { piapiWebhookPlugin, type PiapiWebhookPluginOptions } from './plugin.js';
