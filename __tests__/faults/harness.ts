/**
 * The fault-test rig: a real redis-server, the fake PiAPI, a proxy as the stable
 * webhook endpoint, and receiver-app.cjs instances as child processes that a
 * scenario kills, stops and restarts. It reads the apps' durable logs to count
 * what was lost and what was handled twice.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakePiapi } from '../helpers/fake-piapi.js';
import { PostgresServer } from '../helpers/postgres-server.js';
import { Proxy } from '../helpers/proxy.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { RedisServer } from '../helpers/redis-server.js';
import { UpstashBridge } from '../helpers/upstash-bridge.js';

const APP = join(__dirname, 'receiver-app.cjs');
const BUILT = resolve(__dirname, '..', '..', 'dist', 'cjs', 'index.js');
const API_KEY = 'fault-suite-api-key';
const SECRET = 'fault-suite-webhook-secret';
/** Generous: only matters when something is lost. */
export const DEADLINE_MS = 120_000;

export interface RigOptions {
  ack: 'immediate' | 'after-handler';
  /**
   * `sql-postgres`: sqlStore on a private Postgres (through pg); `sql-sqlite`: on a WAL file shared by the instances
   * (better-sqlite3); `upstash`: upstashStore through an UpstashBridge over a private redis-server (apps that know it).
   */
  store: 'memory' | 'redis' | 'upstash' | 'sql-postgres' | 'sql-sqlite';
  /** A `-cluster` client runs on a 3-node Redis Cluster instead of one redis-server. */
  redisClient?: 'node-redis' | 'ioredis' | 'node-redis-cluster' | 'ioredis-cluster';
  seed: number;
  handlerFailRate?: number;
  /** Extra environment for every instance (see receiver-app.cjs). */
  env?: Record<string, string>;
  /** The app to run. @defaultValue receiver-app.cjs */
  app?: string;
}

/** One line of the handled log: a successful onTask. */
export interface Handled {
  task_id: string;
  status: string;
  deliveryKey: string;
  source: string;
  attempt: number;
  pid: number;
  /** When onTask began and when it succeeded (ms since the epoch). */
  startedAt: number;
  at: number;
}

/** One line of the started log: an onTask call, as it began. */
export interface Started {
  task_id: string;
  status: string;
  deliveryKey: string;
  source: string;
  attempt: number;
  pid: number;
  at: number;
}

/** One app process. */
export class Instance {
  readonly stderr: string[] = [];
  port = 0;
  exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stderr?.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.exited = new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }
}

export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  deadlineMs = DEADLINE_MS,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
}

/** The complete lines of a JSON-lines log: one an app is writing right now has no newline yet, and waits for the next read. */
function readLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.pop();
  return lines.filter(Boolean).map((line) => JSON.parse(line) as T);
}

/** Real time, for a fault that lasts (a restart later, a downtime). */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until a quarter of `tasks` have ended and been handled, so handlers are in flight when a fault lands. */
export async function underWay(rig: Rig, tasks: number): Promise<void> {
  await waitFor('a quarter of the tasks to be handled', () => rig.terminalHandled().length >= tasks / 4);
}

export class Rig {
  readonly dir = mkdtempSync(join(tmpdir(), 'piapi-faults-'));
  readonly handledLog = join(this.dir, 'handled.jsonl');
  readonly taskTable = join(this.dir, 'tasks.jsonl');
  readonly outcomeLog = join(this.dir, 'outcomes.jsonl');
  readonly startedLog = join(this.dir, 'started.jsonl');
  readonly instances: Instance[] = [];
  /** The pids killed with SIGKILL: only their last successes may be handled again. */
  readonly killed = new Set<number>();

  private constructor(
    readonly options: RigOptions,
    readonly piapi: FakePiapi,
    readonly proxy: Proxy,
    readonly redis: RedisServer | RedisCluster | undefined,
    readonly postgres: PostgresServer | undefined,
    readonly upstash: UpstashBridge | undefined,
  ) {}

  static async start(options: RigOptions): Promise<Rig> {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first (npm test does).`);
    const redis =
      options.store !== 'redis' && options.store !== 'upstash'
        ? undefined
        : options.redisClient?.endsWith('-cluster')
          ? await RedisCluster.start()
          : await RedisServer.start();
    const postgres = options.store === 'sql-postgres' ? await PostgresServer.start() : undefined;
    const upstash =
      options.store === 'upstash' && redis !== undefined
        ? await UpstashBridge.start(redis.url, 'fault-suite-upstash-token')
        : undefined;
    const piapi = await FakePiapi.start({ apiKey: API_KEY, timeScale: 0.1, seed: options.seed });
    return new Rig(options, piapi, await Proxy.start(), redis, postgres, upstash);
  }

  /** Starts one more app instance, waits until it listens, and puts it behind the proxy. */
  async startInstance(): Promise<Instance> {
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      FAULT_ACK: this.options.ack,
      FAULT_STORE: this.options.store,
      FAULT_REDIS_CLIENT: this.options.redisClient ?? 'node-redis',
      REDIS_URL: this.redis?.url ?? '',
      SQL_URL: this.postgres?.url ?? join(this.dir, 'store.sqlite'),
      UPSTASH_URL: this.upstash?.url ?? '',
      UPSTASH_TOKEN: this.upstash?.token ?? '',
      PIAPI_URL: this.piapi.url,
      PIAPI_API_KEY: API_KEY,
      PIAPI_WEBHOOK_SECRET: SECRET,
      FAULT_WEBHOOK_URL: `${this.proxy.url}/webhook`,
      FAULT_HANDLED_LOG: this.handledLog,
      FAULT_TASK_TABLE: this.taskTable,
      FAULT_OUTCOME_LOG: this.outcomeLog,
      FAULT_STARTED_LOG: this.startedLog,
      FAULT_SEED: String(this.options.seed + this.instances.length),
      FAULT_HANDLER_FAIL_RATE: String(this.options.handlerFailRate ?? 0),
      ...this.options.env,
    };
    const instance = new Instance(
      fork(this.options.app ?? APP, [], { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] }),
    );
    this.instances.push(instance);
    instance.port = await new Promise<number>((resolvePort, reject) => {
      instance.child.on('message', (message: { type?: string; port?: number }) => {
        if (message.type === 'listening' && typeof message.port === 'number') resolvePort(message.port);
      });
      void instance.exited.then((code) =>
        reject(new Error(`instance exited with ${code} before listening: ${instance.stderr.join('')}`)),
      );
    });
    this.proxy.backends = [...this.proxy.backends, instance.port];
    return instance;
  }

  private detach(instance: Instance): void {
    this.proxy.backends = this.proxy.backends.filter((port) => port !== instance.port);
  }

  /** kill -9: no drain, no goodbye. The proxy keeps the dead port until told, as a load balancer without health checks would. */
  async kill(instance: Instance): Promise<void> {
    this.killed.add(instance.pid);
    instance.child.kill('SIGKILL');
    await instance.exited;
    this.detach(instance);
  }

  /** SIGTERM: the app runs the server.close() + drain() of docs/dedupe-and-leases.md, then exits. */
  async stop(instance: Instance): Promise<void> {
    instance.child.kill('SIGTERM');
    await instance.exited;
    this.detach(instance);
  }

  /** Creates `count` tasks through the app (which creates them at PiAPI and watches them), a few at a time. */
  async createTasks(count: number): Promise<string[]> {
    const ids: string[] = [];
    const one = async (): Promise<void> => {
      const response = await fetch(`${this.proxy.url}/tasks`, { method: 'POST' });
      if (response.status !== 200) throw new Error(`POST /tasks answered ${response.status}: ${await response.text()}`);
      ids.push(((await response.json()) as { task_id: string }).task_id);
    };
    for (let i = 0; i < count; i += 5) await Promise.all(Array.from({ length: Math.min(5, count - i) }, one));
    return ids;
  }

  /** Asks a live instance to do something (`/reconcile`, `/settled`). */
  async call(instance: Instance, route: string): Promise<unknown> {
    const response = await fetch(`http://127.0.0.1:${instance.port}${route}`, { method: 'POST' });
    if (response.status !== 200) throw new Error(`${route} answered ${response.status}: ${await response.text()}`);
    return response.json();
  }

  handled(): Handled[] {
    return readLines<Handled>(this.handledLog);
  }

  /** Every onTask call, as it began. */
  started(): Started[] {
    return readLines<Started>(this.startedLog);
  }

  /** The recovery outcomes the apps saw (`recovered`, `recovery_failed`, `recovery_gave_up`). */
  outcomes(): Array<{ type: string; task_id?: string; pid: number }> {
    return readLines(this.outcomeLog);
  }

  /** Terminal successes so far. */
  terminalHandled(): Handled[] {
    return this.handled().filter((line) => line.status === 'completed' || line.status === 'failed');
  }

  /** The created tasks whose terminal status (as PiAPI ended them) no successful onTask has seen. */
  lost(): string[] {
    const seen = new Set(this.terminalHandled().map((line) => `${line.task_id}:${line.status}`));
    return [...this.piapi.tasks.values()]
      .filter((task) => !seen.has(`${task.task_id}:${task.status}`))
      .map((task) => task.task_id);
  }

  async close(): Promise<void> {
    for (const instance of this.instances) {
      if (instance.child.exitCode === null && instance.child.signalCode === null) {
        instance.child.kill('SIGKILL');
        await instance.exited;
      }
    }
    await this.proxy.close();
    await this.piapi.close();
    await this.upstash?.close();
    await this.redis?.stop();
    await this.postgres?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
