// Each bench server listens on a free loopback port and reports it on stdout.
import { createServer } from 'node:http';
import { answerCpuQueries } from './cpu.mjs';

export const SECRET = 'bench-secret';

/** @param {import('node:http').RequestListener} handler - an Express app or a plain handler */
export function listen(handler) {
  const server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
    answerCpuQueries();
  });
}

/**
 * The store of the piapi servers: the memory store, with room for every unique
 * delivery of a run. Its default 100,000 keys, each kept for the one-hour dedupe
 * window, refuse new deliveries (503 store_full) past about 28 unique deliveries/s
 * sustained, which a load test reaches within seconds.
 */
export const BENCH_STORE_MAX = 2_000_000;
