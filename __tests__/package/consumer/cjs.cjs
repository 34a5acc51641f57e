const { piapiWebhook, PiapiWebhookConfigError } = require('piapi-webhook');
const { run } = require('./scenario.cjs');

const { redisStore } = require('piapi-webhook/redis');
const { createNotification, fixtureNames } = require('piapi-webhook/testing');

if (typeof PiapiWebhookConfigError !== 'function') throw new Error('PiapiWebhookConfigError is not exported');
if (typeof redisStore !== 'function') throw new Error('piapi-webhook/redis does not export redisStore');
if (createNotification().data.status !== 'completed' || fixtureNames.length === 0) throw new Error('piapi-webhook/testing is broken');
run('cjs express5', require('express'), piapiWebhook)
  .then(() => run('cjs express4', require('express4'), piapiWebhook))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
