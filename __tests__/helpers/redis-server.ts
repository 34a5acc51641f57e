import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './ports.js';
import { eventually } from './wait.js';

const BINARY = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';

/** Whether a redis-server binary can be run here. CI sets PIAPI_REQUIRE_REDIS=1 so that a missing one fails instead of skipping. */
export const redisAvailable = spawnSync(BINARY, ['--version'], { stdio: 'ignore' }).status === 0;

if (!redisAvailable) {
  if (process.env['PIAPI_REQUIRE_REDIS'] === '1') throw new Error(`PIAPI_REQUIRE_REDIS=1 but ${BINARY} cannot be run`);
  console.warn(`Redis suites skipped: ${BINARY} was not found. Install it (apt-get install redis-server) to run them.`);
}

/** `describe` where redis-server can run, `describe.skip` (with the warning above) where not. */
export const describeWithRedis = redisAvailable ? describe : describe.skip;

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A redis-server of the test's own, on a free loopback port, that the test can stop and start again. */
export class RedisServer {
  private process: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.resume();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port, and waits until it accepts connections. */
  async resume(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    this.process = spawn(BINARY, args, { stdio: 'ignore' });
    await eventually(() => accepts(this.port), `redis-server to accept connections on port ${this.port}`);
  }

  /** Freezes the server (SIGSTOP): connections stay open, and commands wait unanswered, as in a long pause. */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  /** Lets a paused server run again (SIGCONT): it answers the commands that waited. */
  unpause(): void {
    this.process?.kill('SIGCONT');
  }

  /** Stops the server, as a crash or an outage would. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGKILL');
    });
  }
}
