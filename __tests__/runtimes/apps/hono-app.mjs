// The Hono app of the Hono consumers: its route hands Hono's raw Request to the Fetch handler.
import { Hono } from 'hono';
import { piapiWebhookHandler } from 'piapi-webhook/fetch';
import { builtins, handled, options } from './options.mjs';

/**
 * @param {boolean} onWorkers - pass Hono's execution context (Workers); c.executionCtx throws where there is none, as on Node
 */
export function honoApp(onWorkers) {
  const handle = piapiWebhookHandler(options);
  const app = new Hono();
  app.post('/hook', (c) => (onWorkers ? handle(c.req.raw, c.executionCtx) : handle(c.req.raw)));
  app.get('/handled', (c) => c.json(handled));
  app.get('/builtins', (c) => c.json(builtins()));
  return app;
}
