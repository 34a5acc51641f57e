const { piapiWebhook, PiapiWebhookConfigError } = require('piapi-webhook');
const { expectCoreConfigError, run } = require('./scenario.cjs');

const { redisStore } = require('piapi-webhook/redis');
const { upstashStore } = require('piapi-webhook/upstash');
const { sqlStore } = require('piapi-webhook/sql');
const { createNotification, fixture, fixtureNames } = require('piapi-webhook/testing');

// The entries share one copy of the core: instanceof holds when an app mixes them.
const main = require('piapi-webhook');
const fetchEntry = require('piapi-webhook/fetch');
const fastifyEntry = require('piapi-webhook/fastify');
const shared = [
  'PiapiWebhookConfigError',
  'PiapiWebhookRejection',
  'PiapiWebhookStoreError',
  'PiapiWebhookHandlerTimeoutError',
  'PiapiWebhookWatchError',
  'memoryStore',
];
for (const [entryName, entry] of [
  ['fetch', fetchEntry],
  ['fastify', fastifyEntry],
]) {
  if (!shared.every((name) => typeof main[name] === 'function' && entry[name] === main[name]))
    throw new Error(`piapi-webhook and piapi-webhook/${entryName} do not share their classes`);
}
if (typeof PiapiWebhookConfigError !== 'function') throw new Error('PiapiWebhookConfigError is not exported');
if (typeof redisStore !== 'function') throw new Error('piapi-webhook/redis does not export redisStore');
expectCoreConfigError(redisStore, main.PiapiWebhookConfigError);
expectCoreConfigError(upstashStore, main.PiapiWebhookConfigError, 'upstash');
expectCoreConfigError(sqlStore, main.PiapiWebhookConfigError, 'piapi-webhook/sql');
if (createNotification().data.status !== 'completed' || fixtureNames.length === 0)
  throw new Error('piapi-webhook/testing is broken');
// The fixtures are JSON files beside the module: each one must load from this build.
if (fixtureNames.length !== 14 || !fixtureNames.every((name) => fixture(name).data.task_id.length > 0))
  throw new Error('piapi-webhook/testing lost its fixtures');
run('cjs express5', require('express'), piapiWebhook)
  .then(() => run('cjs express4', require('express4'), piapiWebhook))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
