// Each bench server answers a line on stdin with the CPU time its process has used so far
// (process.cpuUsage(): user + system, every thread, in µs), one JSON line on stdout. The bench
// reads it before and after each run: the difference over the 2xx answers is the CPU per delivery.
import { createInterface } from 'node:readline';

export function answerCpuQueries() {
  createInterface({ input: process.stdin }).on('line', () => {
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpuMicros: user + system })}\n`);
  });
}
