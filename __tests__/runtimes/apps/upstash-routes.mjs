// The routes of the upstashStore consumer apps: every POST /hook is served by a FRESH handler instance
// (a new piapiWebhookHandler and a new client, nothing kept in memory between requests), as on a
// serverless platform, so only the store, through the Upstash REST bridge, can tell a copy.
import { piapiWebhookHandler } from 'piapi-webhook/fetch';
import { upstashStore } from 'piapi-webhook/upstash';
import { handled, options } from './options.mjs';

/**
 * @param {new (config: { url: string; token: string }) => unknown} Redis - @upstash/redis's client for this runtime
 * @param {{ url: string; token: string; prefix: string }} upstash
 */
export function upstashRoutes(Redis, upstash) {
  /** @param {Request} request @param {{ waitUntil?(promise: Promise<unknown>): void }} [context] */
  return (request, context) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/hook') {
      const store = upstashStore(new Redis({ url: upstash.url, token: upstash.token }), { prefix: upstash.prefix });
      return piapiWebhookHandler({ ...options, store })(request, context);
    }
    if (pathname === '/handled') return Response.json(handled);
    return new Response('not found', { status: 404 });
  };
}
