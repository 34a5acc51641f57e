// Each bench server listens on a free loopback port and reports it on stdout.
import { createServer } from 'node:http';

export const SECRET = 'bench-secret';

/** @param {import('node:http').RequestListener} handler - an Express app or a plain handler */
export function listen(handler) {
  const server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
  });
}
