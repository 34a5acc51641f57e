// Hono as a Cloudflare Worker: the route passes c.executionCtx, so onTask is kept alive by its waitUntil.
import { honoApp } from './hono-app.mjs';

export default honoApp(true);
