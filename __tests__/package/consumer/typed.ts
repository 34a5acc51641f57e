// Type-checked against the installed package, under node16 and bundler resolution.
import { createServer } from 'node:http';
import { redisStore, type RedisClientLike, type RedisStoreOptions } from 'piapi-webhook/redis';
import { piapiWebhookHandler, reconcileHandler, type ReconcileHandlerOptions } from 'piapi-webhook/fetch';
import { upstashStore, type UpstashRedisLike, type UpstashStoreOptions } from 'piapi-webhook/upstash';
import {
  createFakePiapi,
  createNotification,
  fixture,
  sendNotification,
  type DeliveryResult,
  type FakePiapi,
} from 'piapi-webhook/testing';
import { sqlStore, type SqlStore } from 'piapi-webhook/sql';
import {
  isModel,
  memoryStore,
  piapiWebhook,
  type DeliverOutcome,
  type DrainReport,
  type ReconcileOptions,
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
// Serverless: a deadline and a limit per run, and the cron route.
const runOptions: ReconcileOptions = { deadlineMs: 25_000, limit: 100 };
const run: Promise<ReconcileReport> = recovering.reconcile(undefined, runOptions);
const more: Promise<boolean> = run.then((ran) => ran.more);
const edge = piapiWebhookHandler({ ...options, recovery: { apiKey: 'key', intervalSeconds: 0 } });
const cronOptions: ReconcileHandlerOptions = { secret: ['old', 'new'], deadlineMs: 25_000 };
const cron: (request: Request) => Promise<Response> = reconcileHandler(edge, cronOptions);
void [more, cron];
// @ts-expect-error the cron route needs its secret
reconcileHandler(edge, { deadlineMs: 25_000 });
declare const client: RedisClientLike;
const redisOptions: RedisStoreOptions = { prefix: 'x:' };
piapiWebhook({ ...options, store: redisStore(client, redisOptions) });
declare const upstash: UpstashRedisLike;
const upstashOptions: UpstashStoreOptions = { prefix: 'x:', now: Date.now };
piapiWebhook({ ...options, store: upstashStore(upstash, upstashOptions) });
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

// The fake PiAPI, typed from the testing entry (only type-checked: nothing here runs).
export async function tryFakePiapi(): Promise<string> {
  const fake: FakePiapi = await createFakePiapi({ apiKey: 'k', retryDelayMs: 10, attempts: 3 });
  const task: PiapiTask = await fake.createTask({ model: 'midjourney', task_type: 'imagine' });
  fake.updateTask(task.task_id, { status: 'completed' }, { notify: false });
  await fake.close();
  return fake.url;
}
