// A redis-server of the bench's own, on a free loopback port, without persistence.
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const accepts = (port) =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/**
 * Starts redis-server (through `prefix`, e.g. taskset, when given) and resolves
 * once it accepts connections, or rejects if it exits or is not up within a minute.
 */
export async function startRedis(prefix = []) {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const [command, ...rest] = [...prefix, process.env.REDIS_SERVER_BIN ?? 'redis-server', ...args];
  const child = spawn(command, rest, { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  while (!(await accepts(port))) {
    if (exited || Date.now() > deadline) {
      child.kill();
      throw new Error(`redis-server did not start on port ${port} (is it installed? apt-get install redis-server)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // taskset execs redis-server in place: the pid is the server's, for its CPU time in /proc.
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid, stop: () => child.kill() };
}
