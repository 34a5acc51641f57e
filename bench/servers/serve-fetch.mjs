// Serves a Fetch handler with @hono/node-server (Node's http turned into Request and Response)
// on a free loopback port, and reports the port like listen.mjs.
import { serve } from '@hono/node-server';
import { answerCpuQueries } from './cpu.mjs';

/** @param {(request: Request) => Response | Promise<Response>} fetch */
export function serveFetch(fetch) {
  const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
    process.stdout.write(`${JSON.stringify({ port: info.port })}\n`);
    answerCpuQueries();
  });
  server.keepAliveTimeout = 60_000;
}
