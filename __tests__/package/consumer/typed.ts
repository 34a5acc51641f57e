// Type-checked against the installed package, under node16 and bundler resolution.
import { createServer } from 'node:http';
import {
  piapiWebhook,
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
createServer(piapiWebhook(options));
const notification: PiapiNotification = { timestamp: 1, data: { task_id: 't', model: 'm', task_type: 'x', status: 'completed' } };
void notification;
void PiapiWebhookConfigError;
// @ts-expect-error onTask is required
piapiWebhook({ secret: 'a' });
