const { piapiWebhook, PiapiWebhookConfigError } = require('piapi-webhook');
const { run } = require('./scenario.cjs');

if (typeof PiapiWebhookConfigError !== 'function') throw new Error('PiapiWebhookConfigError is not exported');
run('cjs express5', require('express'), piapiWebhook)
  .then(() => run('cjs express4', require('express4'), piapiWebhook))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
