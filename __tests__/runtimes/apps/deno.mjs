// Deno.serve with the Fetch handler; a long-lived server, so no waitUntil.
import { route } from './fetch-routes.mjs';

Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log(`listening ${port}`) }, (request) =>
  route(request),
);
