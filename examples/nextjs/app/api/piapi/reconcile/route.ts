// The cron route (vercel.json `crons`): recovers watched tasks whose webhooks were
// all lost. Vercel Cron calls it with GET and `Authorization: Bearer <CRON_SECRET>`.
import { reconcileHandler } from 'piapi-webhook/fetch';
import { handle } from '../../../../lib/piapi';

export const maxDuration = 60; // seconds; the deadline below leaves room for onTask

// Built on the first call, so that `next build` does not need CRON_SECRET.
let cron: ((request: Request) => Promise<Response>) | undefined;
export const GET = (request: Request) =>
  (cron ??= reconcileHandler(handle, { secret: process.env.CRON_SECRET!, deadlineMs: 45_000 }))(request);
