// Hono on @hono/node-server, as on any long-lived Node server: no execution context.
import { serve } from '@hono/node-server';
import { honoApp } from './hono-app.mjs';

serve({ fetch: honoApp(false).fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log(`listening ${info.port}`));
