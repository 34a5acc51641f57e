// Bun.serve with the Fetch handler; a long-lived server, so no waitUntil.
import { route } from './fetch-routes.mjs';

const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (request) => route(request) });
console.log(`listening ${server.port}`);
