// A Cloudflare Worker on upstashStore, for workerd without nodejs_compat: @upstash/redis's Workers build,
// the bridge's address and token as bindings, onTask kept alive by ctx.waitUntil.
import { Redis } from '@upstash/redis/cloudflare';
import { upstashRoutes } from './upstash-routes.mjs';

export default {
  fetch: (request, env, ctx) =>
    upstashRoutes(Redis, { url: env.UPSTASH_URL, token: env.UPSTASH_TOKEN, prefix: env.UPSTASH_PREFIX })(request, ctx),
};
