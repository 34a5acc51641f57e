// Hono on @hono/node-server: the route hands Hono's raw Request to the Fetch handler.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { piapiWebhookHandler } from 'piapi-webhook/fetch';
import { handled, options } from './options.mjs';

const handle = piapiWebhookHandler(options);
const app = new Hono();
app.post('/hook', (c) => handle(c.req.raw));
app.get('/handled', (c) => c.json(handled));
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log(`listening ${info.port}`));
