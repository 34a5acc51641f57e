/**
 * A flood of unique deliveries through the core pipeline, in-process (no
 * sockets): every one is handled, and the dedupe store stays within its bound,
 * forgetting the oldest keys first.
 */
import { parseOptions } from '../../lib/core/options.js';
import { createReceiver, type IncomingDelivery, type Receiver, type ReceiverAnswer } from '../../lib/core/receiver.js';
import { memoryStore } from '../../lib/index.js';
import { nodePlatform } from '../../lib/node/platform.js';
import { notification, NOW_MS, SECRET } from '../helpers/notifications.js';

const template = JSON.stringify(notification({ task_id: '@ID@', status: 'completed' }));

function delivery(taskId: string, respond: (answer: ReceiverAnswer) => void): IncomingDelivery {
  const body = Buffer.from(template.replace('@ID@', taskId));
  return {
    method: 'POST',
    secret: SECRET,
    contentType: 'application/json',
    contentEncoding: undefined,
    readBody: (_limit, callback) => callback(undefined, body),
    respond,
  };
}

function receive(receiver: Receiver, taskId: string): Promise<ReceiverAnswer> {
  return new Promise((resolve) => receiver.receive(delivery(taskId, resolve)));
}

// Its normal time is a few seconds; the budget only guards against a hang on a busy machine.
it('handles 50 000 unique deliveries with the store bounded by its max, evicting the oldest', async () => {
  const store = memoryStore({ max: 1000, now: () => NOW_MS });
  let handled = 0;
  let largestStore = 0;
  const receiver = createReceiver(parseOptions({ secret: SECRET, now: () => NOW_MS, store, onTask: () => void (handled += 1) }, memoryStore), nodePlatform);

  // One expect after the loop, not one per delivery: the flood is the load, not the assertion.
  const statuses = new Map<number, number>();
  for (let index = 0; index < 50_000; index += 1) {
    const answer = await receive(receiver, `task-${index}`);
    statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1);
    answer.afterResponse?.();
    largestStore = Math.max(largestStore, store.size);
  }
  await new Promise((resolve) => setImmediate(resolve));

  expect([...statuses]).toEqual([[200, 50_000]]);
  expect(handled).toBe(50_000);
  expect(largestStore).toBe(1000);
  // The newest keys are remembered; the oldest were evicted, so a very late copy is handled again.
  const lateCopyOfNewest = await receive(receiver, 'task-49999');
  const lateCopyOfOldest = await receive(receiver, 'task-0');
  expect([lateCopyOfNewest.statusCode, lateCopyOfNewest.afterResponse]).toEqual([200, undefined]);
  expect([lateCopyOfOldest.statusCode, typeof lateCopyOfOldest.afterResponse]).toEqual([200, 'function']);
}, 120_000);
