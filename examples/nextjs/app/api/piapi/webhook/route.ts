// PiAPI's webhook in a Next.js App Router route handler. `after` keeps onTask
// running once the answer has been sent: on Vercel and other serverless hosts the
// function may otherwise be frozen as soon as it returns.
import { after } from 'next/server';
import { piapiWebhookHandler } from 'piapi-webhook/fetch';

// The options are a function: read on the first request, not when `next build` evaluates
// this module, where PIAPI_WEBHOOK_SECRET is often not set (Docker and CI builds).
const handle = piapiWebhookHandler(() => ({
  secret: process.env.PIAPI_WEBHOOK_SECRET!,
  onTask: async (task) => {
    // Save the result here (a database write, a queue message, …).
    console.log(`[piapi] handled ${task.task_id} ${task.model}/${task.task_type} ${task.status}`);
  },
}));

export const POST = (request: Request) => handle(request, { waitUntil: after });
