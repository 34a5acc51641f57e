// Recovery tried locally with the shipped fake PiAPI (piapi-webhook/testing), from the installed package:
// a webhook that arrives, one that is lost and recovered through get-task, and one refused until PiAPI drops it.
// Used by the CommonJS and the ESM runs alike; prints one JSON line of results.
async function tryRecovery(express, piapiWebhook, createFakePiapi) {
  const piapi = await createFakePiapi({ apiKey: 'consumer-key', retryDelayMs: 10 });
  const handled = [];
  const hook = piapiWebhook({
    secret: 'consumer-secret',
    onTask: (task, context) => void handled.push([task.status, context.source]),
    recovery: { apiKey: 'consumer-key', baseUrl: piapi.url, intervalSeconds: 0 },
  });
  const app = express();
  app.post('/hook', hook);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const endpoint = `http://127.0.0.1:${server.address().port}/hook`;
  const delivered = async (count) => {
    while (piapi.deliveries.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
    await hook.settled();
  };

  const task = await piapi.createTask({
    model: 'midjourney',
    task_type: 'imagine',
    config: { webhook_config: { endpoint, secret: 'consumer-secret' } },
  });
  await delivered(1);
  piapi.updateTask(
    task.task_id,
    { status: 'completed', output: { image_url: 'https://img.example/a.png' } },
    { notify: false },
  );
  const report = await hook.reconcile([task.task_id]);

  await piapi.createTask({
    model: 'suno',
    task_type: 'music',
    config: { webhook_config: { endpoint, secret: 'wrong' } },
  });
  while (piapi.dropped().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));

  const envelope = await (
    await fetch(`${piapi.url}/api/v1/task/${task.task_id}`, { headers: { 'x-api-key': 'consumer-key' } })
  ).json();
  console.log(
    JSON.stringify({
      handled,
      recovered: report.recovered,
      envelope: [envelope.code, envelope.data.status, envelope.message],
      refused: piapi.deliveries.filter((d) => d.result === 401).map((d) => [d.attempt, d.dropped]),
      sameTask: report.recovered[0] === task.task_id,
    }),
  );
  await hook.drain();
  server.close();
  await piapi.close();
}

module.exports = { tryRecovery };
