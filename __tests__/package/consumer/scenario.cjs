// Runs the behaviour table against an app built from the installed package, and the checks
// both consumers make. Used by the CommonJS and the ESM consumer alike; prints one JSON line of results.
const SECRET = 'consumer-secret';

async function run(label, express, piapiWebhook) {
  const handled = [];
  const app = express();
  app.use(
    '/hook',
    piapiWebhook({
      secret: SECRET,
      onTask: (task) => {
        handled.push(task.status);
      },
    }),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${server.address().port}/hook`;
  const now = Math.floor(Date.now() / 1000);
  const body = (status, timestamp = now) =>
    JSON.stringify({ timestamp, data: { task_id: 't-1', model: 'midjourney', task_type: 'imagine', status } });
  const send = async (payload, { secret = SECRET, type = 'application/json', method = 'POST' } = {}) => {
    const response = await fetch(url, {
      method,
      headers: { 'content-type': type, 'x-webhook-secret': secret },
      body: method === 'POST' ? payload : undefined,
    });
    const answer = await response.json();
    await new Promise((resolve) => setImmediate(resolve));
    return [response.status, answer.error ?? 'ok', response.headers.get('allow')];
  };
  const results = {
    first: await send(body('processing')),
    retry: await send(body('processing')),
    progress: await send(body('processing', now - 1)),
    completed: await send(body('Completed')),
    resentEnd: await send(body('completed', now + 1)),
    wrongSecret: await send(body('failed'), { secret: 'nope' }),
    stale: await send(body('failed', now - 3600)),
    malformed: await send('{'),
    tooLarge: await send(JSON.stringify({ pad: 'x'.repeat(1024 * 1024) })),
    textPlain: await send(body('failed'), { type: 'text/plain' }),
    get: await send(undefined, { method: 'GET' }),
  };
  server.close();
  console.log(JSON.stringify({ label, results, handled }));
}

/** piapi-webhook/redis (and /upstash, /sql) are bundled apart from the core, but must throw the core's own configuration error. */
function expectCoreConfigError(storeFactory, PiapiWebhookConfigError, entry = 'piapi-webhook/redis') {
  try {
    storeFactory({});
  } catch (error) {
    if (error instanceof PiapiWebhookConfigError) return;
  }
  throw new Error(`${entry} throws another PiapiWebhookConfigError than piapi-webhook`);
}

module.exports = { expectCoreConfigError, run };
