/**
 * A fake PiAPI on loopback, for tests only: the task API (create, get) and a
 * scripted task lifecycle whose webhooks follow PiAPI's documented retry policy
 * (a non-2xx or a connection error is retried after 5 s, 3 attempts in all, then
 * dropped), with every duration multiplied by `timeScale`.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PiapiTask } from '../../lib/index.js';
import { postWebhook } from './post-webhook.js';
import { seededRandom } from './seeded-random.js';

/** How one task unfolds, in unscaled milliseconds (as PiAPI would take). */
export interface Lifecycle {
  readonly pendingMs: number;
  readonly processingMs: number;
  readonly outcome: 'completed' | 'failed';
}

/** The body of `POST /api/v1/task`. */
export interface CreateTaskBody {
  model: string;
  task_type: string;
  input?: Record<string, unknown>;
  config?: { webhook_config?: { endpoint?: string; secret?: string } };
}

/** One attempt to deliver one webhook, and what came of it. */
export interface DeliveryAttempt {
  readonly taskId: string;
  readonly status: string;
  readonly timestamp: number;
  /** 1, 2 or 3. */
  readonly attempt: number;
  /** The HTTP status, or the connection error's code. */
  readonly result: number | string;
  /** The endpoint's `x-piapi-webhook-outcome` header, if any. */
  readonly outcome?: string;
  /** True on the last failed attempt: PiAPI gives this notification up. */
  readonly dropped: boolean;
}

/** An answer to force on `GET /api/v1/task/:id`. */
export interface GetFault {
  status: number;
  headers?: Record<string, string>;
  /** A JSON value, or raw text. */
  body?: unknown;
}

/** Options for {@link FakePiapi.start}. */
export interface FakePiapiOptions {
  /** The key `x-api-key` must carry. @defaultValue 'fake-piapi-key' */
  apiKey?: string;
  /** Multiplies every duration: 0.1 makes PiAPI's 5 s retry 0.5 s. @defaultValue 0.1 */
  timeScale?: number;
  /** Whether tasks run their lifecycle and send webhooks. @defaultValue true */
  webhooks?: boolean;
  /** How each new task unfolds (unscaled ms). @defaultValue 5–20 s pending, 5–30 s processing, 1 in 5 failed */
  lifecycle?: (index: number, random: () => number) => Lifecycle;
  /** Seeds the default lifecycle. @defaultValue 1 */
  seed?: number;
  /** How long PiAPI waits for an endpoint's answer before it counts as failed (real ms). @defaultValue 15 000 */
  deliveryTimeoutMs?: number;
}

const RETRY_DELAY_MS = 5000;
const ATTEMPTS = 3;

function defaultLifecycle(_index: number, random: () => number): Lifecycle {
  return {
    pendingMs: 5000 + random() * 15_000,
    processingMs: 5000 + random() * 25_000,
    outcome: random() < 0.2 ? 'failed' : 'completed',
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
  res.end(text);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/** See the file's comment. Start one with {@link FakePiapi.start}; close it after. */
export class FakePiapi extends EventEmitter {
  /** Every task created, by id, in its current state. */
  readonly tasks = new Map<string, PiapiTask>();
  /** Every webhook delivery attempt, in order. */
  readonly deliveries: DeliveryAttempt[] = [];
  /** Every get-task request: the id asked for and the key it carried. */
  readonly getRequests: Array<{ taskId: string; apiKey: string | undefined }> = [];
  /** The most get-task requests in flight at once. */
  maxGetsInFlight = 0;
  private getsInFlight = 0;
  private readonly faults: Array<GetFault | 'hang'> = [];
  private getDelayMs = 0;
  private pendingDeliveries = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly hanging = new Set<ServerResponse>();
  private readonly random: () => number;
  private created = 0;
  private closed = false;

  private constructor(
    private readonly server: Server,
    private readonly options: Required<Omit<FakePiapiOptions, 'seed'>>,
    seed: number,
  ) {
    super();
    this.random = seededRandom(seed);
  }

  static async start(options: FakePiapiOptions = {}): Promise<FakePiapi> {
    const server = createServer();
    const fake = new FakePiapi(
      server,
      {
        apiKey: options.apiKey ?? 'fake-piapi-key',
        timeScale: options.timeScale ?? 0.1,
        webhooks: options.webhooks ?? true,
        lifecycle: options.lifecycle ?? defaultLifecycle,
        deliveryTimeoutMs: options.deliveryTimeoutMs ?? 15_000,
      },
      options.seed ?? 1,
    );
    server.on('request', (req, res) => void fake.route(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** Where the fake listens, e.g. `http://127.0.0.1:41234` (a `baseUrl`). */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `count` get-task requests get `fault` instead of the task. */
  failGets(count: number, fault: GetFault): void {
    for (let i = 0; i < count; i += 1) this.faults.push(fault);
  }

  /** The next `count` get-task requests are never answered. */
  hangGets(count: number): void {
    for (let i = 0; i < count; i += 1) this.faults.push('hang');
  }

  /** Every get-task answer waits this long first (real ms), so concurrent requests overlap. */
  delayGets(ms: number): void {
    this.getDelayMs = ms;
  }

  /** Creates a task as `POST /api/v1/task` does, and starts its lifecycle. */
  async createTask(body: CreateTaskBody): Promise<PiapiTask> {
    const taskId = randomUUID();
    const webhook = body.config?.webhook_config;
    const task: PiapiTask = {
      task_id: taskId,
      model: body.model,
      task_type: body.task_type,
      status: 'pending',
      config: {
        service_mode: 'public',
        webhook_config: { endpoint: webhook?.endpoint ?? '', secret: webhook?.secret ?? '' },
      },
      input: body.input ?? {},
      output: null,
      meta: {
        created_at: new Date().toISOString(),
        started_at: '0001-01-01T00:00:00Z',
        ended_at: '0001-01-01T00:00:00Z',
      },
      detail: null,
      logs: [],
      error: { code: 0, raw_message: '', message: '', detail: null },
    };
    this.tasks.set(taskId, task);
    if (this.options.webhooks) this.runLifecycle(task, this.options.lifecycle(this.created, this.random));
    this.created += 1;
    return structuredClone(task);
  }

  /** The terminal tasks' ids. */
  terminalTaskIds(): string[] {
    return [...this.tasks.values()]
      .filter((task) => task.status === 'completed' || task.status === 'failed')
      .map((task) => task.task_id);
  }

  /** The notifications PiAPI gave up on after its last attempt. */
  dropped(): DeliveryAttempt[] {
    return this.deliveries.filter((attempt) => attempt.dropped);
  }

  /** Whether every task is terminal and no webhook is waiting or in flight. */
  isIdle(): boolean {
    return this.pendingDeliveries === 0 && this.terminalTaskIds().length === this.tasks.size;
  }

  /** Resolves once {@link isIdle}. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.isIdle()) {
          this.off('change', check);
          resolve();
        }
      };
      this.on('change', check);
      check();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) run();
    }, ms * this.options.timeScale);
    this.timers.add(timer);
  }

  private runLifecycle(task: PiapiTask, lifecycle: Lifecycle): void {
    this.notify(task);
    this.later(lifecycle.pendingMs, () => {
      task.status = 'processing';
      task.meta = { ...task.meta, started_at: new Date().toISOString() };
      this.notify(task);
      this.later(lifecycle.processingMs, () => {
        task.status = lifecycle.outcome;
        task.meta = { ...task.meta, ended_at: new Date().toISOString() };
        if (lifecycle.outcome === 'completed') task.output = { image_url: `https://img.example/${task.task_id}.png` };
        else task.error = { code: 10000, raw_message: 'upstream refused', message: 'task failed', detail: null };
        this.notify(task);
      });
    });
  }

  /** Sends the task's current state, with PiAPI's retry policy; a retry carries the same body. */
  private notify(task: PiapiTask): void {
    const { endpoint, secret } = task.config?.webhook_config ?? {};
    if (endpoint === undefined || endpoint === '') return;
    const body = JSON.stringify({ timestamp: Math.floor(Date.now() / 1000), data: task });
    const { timestamp } = JSON.parse(body) as { timestamp: number };
    // The task object changes as it moves on: record the status this notification carries.
    const { status } = task;
    this.pendingDeliveries += 1;
    const attempt = (number: number): void => {
      postWebhook(
        endpoint,
        typeof secret === 'string' ? secret : '',
        body,
        this.options.deliveryTimeoutMs,
        (result, outcome) => {
          const failed = typeof result !== 'number' || result < 200 || result >= 300;
          const dropped = failed && number >= ATTEMPTS;
          const record: DeliveryAttempt = { taskId: task.task_id, status, timestamp, attempt: number, result, dropped };
          this.deliveries.push(outcome === undefined ? record : { ...record, outcome });
          if (failed && !dropped && !this.closed) {
            this.later(RETRY_DELAY_MS, () => attempt(number + 1));
          } else {
            this.pendingDeliveries -= 1;
          }
          this.emit('change');
        },
      );
    };
    attempt(1);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const apiKey = req.headers['x-api-key'];
    const authorised = apiKey === this.options.apiKey;
    if (req.method === 'POST' && url.pathname === '/api/v1/task') {
      if (!authorised) return send(res, 401, { code: 401, data: null, message: 'Unauthorized' });
      let body: CreateTaskBody;
      try {
        body = (await readJson(req)) as CreateTaskBody;
      } catch {
        return send(res, 400, { code: 400, data: null, message: 'invalid json' });
      }
      // A JSON body can be null or any value: the cast above only names what a valid one holds.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (typeof body?.model !== 'string' || typeof body.task_type !== 'string') {
        return send(res, 400, { code: 400, data: null, message: 'invalid request: model and task_type are required' });
      }
      return send(res, 200, { code: 200, data: await this.createTask(body), message: 'success' });
    }
    const match = /^\/api\/v1\/task\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && match?.[1] !== undefined)
      return this.getTask(decodeURIComponent(match[1]), apiKey, res);
    return send(res, 404, { code: 404, data: null, message: 'no such route' });
  }

  private async getTask(taskId: string, apiKey: string | string[] | undefined, res: ServerResponse): Promise<void> {
    this.getRequests.push({ taskId, apiKey: typeof apiKey === 'string' ? apiKey : undefined });
    this.getsInFlight += 1;
    this.maxGetsInFlight = Math.max(this.maxGetsInFlight, this.getsInFlight);
    res.on('close', () => (this.getsInFlight -= 1));
    if (this.getDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.getDelayMs));
    const fault = this.faults.shift();
    if (fault === 'hang') return void this.hanging.add(res);
    if (fault !== undefined) return send(res, fault.status, fault.body ?? '', fault.headers);
    if (apiKey !== this.options.apiKey) return send(res, 401, { code: 401, data: null, message: 'Unauthorized' });
    const task = this.tasks.get(taskId);
    if (task === undefined) return send(res, 404, { code: 404, data: null, message: 'task not found' });
    return send(res, 200, { code: 200, data: task, message: 'success' });
  }
}
