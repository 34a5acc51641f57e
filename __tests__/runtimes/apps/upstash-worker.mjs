// A Cloudflare Worker on upstashStore, for workerd without nodejs_compat: @upstash/redis's Workers build,
// the bridge's address and token as bindings, onTask kept alive by ctx.waitUntil. Its scheduled() is the
// Cron Triggers recipe of docs/serverless.md: a handler with recovery and no timer, reconcile in waitUntil.
import { Redis } from '@upstash/redis/cloudflare';
import { piapiWebhookHandler } from 'piapi-webhook/fetch';
import { upstashStore } from 'piapi-webhook/upstash';
import { options } from './options.mjs';
import { upstashRoutes } from './upstash-routes.mjs';

/** The reports of the scheduled() runs that finished, in order; served at GET /reconciled. */
const reports = [];

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === '/reconciled') return Response.json(reports);
    return upstashRoutes(Redis, { url: env.UPSTASH_URL, token: env.UPSTASH_TOKEN, prefix: env.UPSTASH_PREFIX })(
      request,
      ctx,
    );
  },
  scheduled(controller, env, ctx) {
    const redis = new Redis({ url: env.UPSTASH_URL, token: env.UPSTASH_TOKEN });
    const handle = piapiWebhookHandler({
      ...options,
      store: upstashStore(redis, { prefix: env.UPSTASH_PREFIX }),
      recovery: { apiKey: env.PIAPI_API_KEY, baseUrl: env.PIAPI_URL, intervalSeconds: 0 },
    });
    ctx.waitUntil(
      handle.reconcile(undefined, { deadlineMs: 20_000 }).then((report) => {
        reports.push({ cron: controller.cron, ...report });
      }),
    );
  },
};
