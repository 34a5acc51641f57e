// Hono on @hono/node-server 1.x, the previous major: its serve() replaces the global Response with one that writes into the headers it is given.
import { serve } from 'hono-node-server-1';
import { honoApp } from './hono-app.mjs';

serve({ fetch: honoApp(false).fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log(`listening ${info.port}`));
