// Type-checked against the installed package, under node16 and bundler resolution.
import { createServer } from 'node:http';
import { redisStore, type RedisClientLike, type RedisStoreOptions } from 'piapi-webhook/redis';
import { sqlStore, type SqlStore } from 'piapi-webhook/sql';
import { createNotification, fixture, sendNotification, type DeliveryResult } from 'piapi-webhook/testing';
import {
  isModel,
  memoryStore,
  piapiWebhook,
  type DeliverOutcome,
  type DrainReport,
  type ReconcileReport,
  PiapiWebhookConfigError,
  type PiapiNotification,
  type PiapiTask,
  type PiapiWebhookContext,
  type PiapiWebhookOptions,
  type RejectionReason,
  type WebhookOutcome,
} from 'piapi-webhook';

const options: PiapiWebhookOptions = {
  secret: ['a', 'b'],
  maxSkewSeconds: 300,
  onTask: async (task: PiapiTask, context: PiapiWebhookContext) => {
    const status: string = task.status;
    const when: number = context.timestamp;
    void [status, when];
  },
  onOutcome: (outcome: WebhookOutcome) => {
    if (outcome.type === 'rejected') {
      const reason: RejectionReason = outcome.reason;
      void reason;
    }
  },
};
const hook = piapiWebhook({
  ...options,
  store: memoryStore({ max: 100 }),
  ack: 'after-handler',
  maxConcurrency: 4,
  maxQueue: 10,
});
createServer(hook);
const drained: Promise<DrainReport> = hook.drain(1000);
void drained;
const recovering = piapiWebhook({
  ...options,
  leaseSeconds: 5,
  recovery: { apiKey: 'key', checkAfterSeconds: 30, intervalSeconds: 0 },
});
const report: Promise<ReconcileReport> = recovering.reconcile(['t']);
const outcome: Promise<DeliverOutcome> = recovering.deliver(
  { task_id: 't', model: 'm', task_type: 'x', status: 'completed' },
  { source: 'deliver' },
);
const watched: Promise<void> = recovering.watch('t');
const settled: Promise<void> = recovering.settled();
void [report, outcome, watched, settled];
declare const client: RedisClientLike;
const redisOptions: RedisStoreOptions = { prefix: 'x:' };
piapiWebhook({ ...options, store: redisStore(client, redisOptions) });
const sql: SqlStore = sqlStore({ dialect: 'postgres', query: async () => [], table: 'hooks' });
piapiWebhook({ ...options, store: sql });
const ddl: string = sqlStore.schema('sqlite');
void [sql.setup(), ddl];
const delivered: Promise<DeliveryResult> = sendNotification(
  'http://127.0.0.1:1/x',
  createNotification({ status: 'failed' }),
  { secret: 'a' },
);
void delivered;
const task = fixture('kling-video-generation-completed').data;
if (isModel(task, 'kling')) {
  const works: unknown[] | undefined = task.output?.works;
  void works;
}
// Fixtures are typed by name.
const grid: string[] | null | undefined = fixture('midjourney-imagine-completed').data.output.image_urls;
void grid;
// @ts-expect-error a Midjourney output has no clips
void fixture('midjourney-imagine-completed').data.output.clips.length;
// @ts-expect-error no such fixture
fixture('nope');
// @ts-expect-error ack has two modes only
piapiWebhook({ ...options, ack: 'later' });
const notification: PiapiNotification = {
  timestamp: 1,
  data: { task_id: 't', model: 'm', task_type: 'x', status: 'completed' },
};
void notification;
void PiapiWebhookConfigError;
// @ts-expect-error onTask is required
piapiWebhook({ secret: 'a' });
