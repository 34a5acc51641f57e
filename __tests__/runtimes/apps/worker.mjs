// A Cloudflare Worker: the execution context itself is passed, so the handler calls ctx.waitUntil as a method.
import { route } from './fetch-routes.mjs';

export default {
  fetch: (request, env, ctx) => route(request, ctx),
};
