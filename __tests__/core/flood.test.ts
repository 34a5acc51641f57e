/**
 * A flood of unique deliveries through the whole pipeline, in-process (no
 * sockets): every one is handled, the store stays within its bound, and a
 * replay of a delivery still inside its time-to-live is never handed out again.
 */
import type { IncomingDelivery, ReceiverAnswer } from '../../lib/core/receiver.js';
import { memoryStore } from '../../lib/index.js';
import { nodePlatform } from '../../lib/node/platform.js';
import { createWebhook } from '../../lib/webhook.js';
import { notification, NOW_MS, SECRET } from '../helpers/notifications.js';

const template = JSON.stringify(notification({ task_id: '@ID@', status: 'completed' }));

function delivery(taskId: string, respond: (answer: ReceiverAnswer) => void): IncomingDelivery {
  const body = template.replace('@ID@', taskId);
  return {
    method: 'POST',
    secret: SECRET,
    contentType: 'application/json',
    contentEncoding: undefined,
    readBody: (_limit, callback) => callback(undefined, body),
    abortBody: () => undefined,
    respond,
  };
}

function receiver(max: number, onTask: () => void) {
  const store = memoryStore({ max, now: () => NOW_MS });
  const { receiver: built } = createWebhook({ secret: SECRET, now: () => NOW_MS, store, onTask }, nodePlatform);
  const receive = (taskId: string) =>
    new Promise<ReceiverAnswer>((resolve) => built.receive(delivery(taskId, resolve)));
  return { store, receive };
}

// Its normal time is a few seconds; the budget only guards against a hang on a busy machine.
it('handles 50 000 unique deliveries, each once, with the store bounded by its max', async () => {
  let handled = 0;
  const { store, receive } = receiver(60_000, () => void (handled += 1));
  // One expect after the loop, not one per delivery: the flood is the load, not the assertion.
  const statuses = new Map<number, number>();
  let largestStore = 0;
  for (let index = 0; index < 50_000; index += 1) {
    const answer = await receive(`task-${index}`);
    statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1);
    answer.afterResponse?.();
    largestStore = Math.max(largestStore, store.size);
  }
  expect([...statuses]).toEqual([[200, 50_000]]);
  expect(handled).toBe(50_000);
  expect(largestStore).toBe(50_000);
  // A replay of the oldest is still remembered: nothing was forgotten to make room.
  const replay = await receive('task-0');
  expect([replay.statusCode, replay.headers['x-piapi-webhook-outcome'], replay.afterResponse]).toEqual([
    200,
    'duplicate',
    undefined,
  ]);
}, 120_000);

it('refuses new deliveries with 503 store_full rather than forget a key inside its time-to-live', async () => {
  let handled = 0;
  const { receive } = receiver(100, () => void (handled += 1));
  for (let index = 0; index < 100; index += 1) (await receive(`task-${index}`)).afterResponse?.();
  const refused = await receive('one-too-many');
  expect([
    refused.statusCode,
    JSON.parse(new TextDecoder().decode(refused.body)).error,
    refused.headers['retry-after'],
  ]).toEqual([503, 'store_full', '5']);
  const replay = await receive('task-0');
  expect([replay.statusCode, replay.headers['x-piapi-webhook-outcome']]).toEqual([200, 'duplicate']);
  expect(handled).toBe(100);
});
