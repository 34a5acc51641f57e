// One handler for the webhook route and the cron route. Its options are a function:
// read on the first request, not when `next build` evaluates this module, so the
// build needs none of the secrets below (Docker and CI builds often lack them).
import { Redis } from '@upstash/redis';
import { piapiWebhookHandler } from 'piapi-webhook/fetch';
import { upstashStore } from 'piapi-webhook/upstash';

export const handle = piapiWebhookHandler(() => ({
  secret: process.env.PIAPI_WEBHOOK_SECRET!,
  // Shared by every instance and cold start: a retry that lands elsewhere is still a duplicate.
  store: upstashStore(
    new Redis({ url: process.env.UPSTASH_REDIS_REST_URL!, token: process.env.UPSTASH_REDIS_REST_TOKEN! }),
  ),
  // No timer survives a serverless invocation: the cron route runs recovery (vercel.json).
  recovery: {
    apiKey: process.env.PIAPI_API_KEY!,
    intervalSeconds: 0,
    // Unset in production; the repository's test points it at a fake PiAPI.
    ...(process.env.PIAPI_BASE_URL ? { baseUrl: process.env.PIAPI_BASE_URL } : {}),
  },
  onTask: async (task, ctx) => {
    // Save the result here (a database write, a queue message, …). ctx.source is 'webhook' or 'recovery'.
    console.log(`[piapi] handled ${task.task_id} ${task.model}/${task.task_type} ${task.status} via ${ctx.source}`);
  },
}));
