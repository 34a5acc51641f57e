/**
 * A fake PiAPI on loopback, to try recovery and webhooks without an account:
 * the task API (`POST /api/v1/task`, `GET /api/v1/task/{id}`, each answering
 * PiAPI's envelope `{ code, data, message }`), and tasks whose webhooks follow
 * PiAPI's documented retry policy (a non-2xx or a connection error is retried
 * after 5 s, 3 attempts in all, then dropped).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PiapiTask } from '../core/types.js';
import { postWebhook, readJson, seededRandom, send } from './fake-piapi-http.js';
import type {
  FakeCreateTaskBody,
  FakeDeliveryAttempt,
  FakeGetFault,
  FakePiapiOptions,
  FakeTaskLifecycle,
} from './fake-piapi-options.js';

export * from './fake-piapi-options.js';

type Settings = Required<Omit<FakePiapiOptions, 'seed' | 'port'>>;

/**
 * The fake PiAPI {@link createFakePiapi} starts. Point `recovery.baseUrl` at
 * its `url`, and close it after. It emits `'change'` after every delivery attempt.
 */
export class FakePiapi extends EventEmitter {
  /** Every task created, by id, in its current state. */
  readonly tasks = new Map<string, PiapiTask>();
  /** Every webhook delivery attempt, in order. */
  readonly deliveries: FakeDeliveryAttempt[] = [];
  /** Every get-task request: the id asked for and the key it carried. */
  readonly getRequests: Array<{ taskId: string; apiKey: string | undefined }> = [];
  /** The most get-task requests in flight at once. */
  maxGetsInFlight = 0;
  private getsInFlight = 0;
  private readonly faults: Array<FakeGetFault | 'hang'> = [];
  private getDelayMs = 0;
  private pendingDeliveries = 0;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly hanging = new Set<ServerResponse>();
  private readonly random: () => number;
  private created = 0;
  private closed = false;

  /** @internal Use {@link createFakePiapi}. */
  constructor(
    private readonly server: Server,
    private readonly settings: Settings,
    seed: number,
  ) {
    super();
    this.random = seededRandom(seed);
  }

  /** Where the fake listens, such as `http://127.0.0.1:41234`: a `recovery.baseUrl`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * The next `count` get-task requests get `fault` instead of the task.
   * @param count - how many requests
   * @param fault - the status, headers and body to answer
   */
  failGets(count: number, fault: FakeGetFault): void {
    for (let i = 0; i < count; i += 1) this.faults.push(fault);
  }

  /**
   * The next `count` get-task requests are never answered.
   * @param count - how many requests
   */
  hangGets(count: number): void {
    for (let i = 0; i < count; i += 1) this.faults.push('hang');
  }

  /**
   * Every get-task answer waits this long first, so that concurrent requests overlap.
   * @param ms - the wait, in real milliseconds
   */
  delayGets(ms: number): void {
    this.getDelayMs = ms;
  }

  /**
   * Creates a task as `POST /api/v1/task` does, sends its `pending` notification,
   * and starts its lifecycle, if there is one.
   * @param body - model, task_type, input, and `config.webhook_config` (where and with which secret to notify)
   * @returns a copy of the new task
   */
  createTask(body: FakeCreateTaskBody): Promise<PiapiTask> {
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
    const { lifecycle } = this.settings;
    if (lifecycle !== false) this.runLifecycle(task, lifecycle(this.created, this.random));
    else if (this.settings.webhooks) this.notify(task);
    this.created += 1;
    return Promise.resolve(structuredClone(task));
  }

  /**
   * Moves a task on, as PiAPI would, and notifies its endpoint unless `notify`
   * is false: a lost webhook, which only get-task (recovery) can then learn of.
   * @param taskId - the task's id
   * @param changes - the fields to replace, such as `{ status: 'completed', output: { image_url } }`
   * @param options - `notify`: send the notification
   * @defaultValue notify: the `webhooks` option
   * @returns a copy of the task
   */
  updateTask(taskId: string, changes: Partial<PiapiTask>, options: { notify?: boolean } = {}): PiapiTask {
    const task = this.tasks.get(taskId);
    if (task === undefined) throw new Error(`createFakePiapi: no task ${taskId}`);
    Object.assign(task, structuredClone(changes), { task_id: taskId });
    if (options.notify ?? this.settings.webhooks) this.notify(task);
    return structuredClone(task);
  }

  /** The terminal tasks' ids. */
  terminalTaskIds(): string[] {
    return [...this.tasks.values()]
      .filter((task) => task.status === 'completed' || task.status === 'failed')
      .map((task) => task.task_id);
  }

  /** The notifications PiAPI gave up on after its last attempt. */
  dropped(): FakeDeliveryAttempt[] {
    return this.deliveries.filter((attempt) => attempt.dropped);
  }

  /** Whether every task is terminal and no notification is waiting or in flight. */
  isIdle(): boolean {
    return this.pendingDeliveries === 0 && this.terminalTaskIds().length === this.tasks.size;
  }

  /** Resolves once {@link FakePiapi.isIdle}. */
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

  /** Stops the server, the lifecycles and the retries. */
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
    }, ms * this.settings.timeScale);
    this.timers.add(timer);
  }

  private runLifecycle(task: PiapiTask, lifecycle: FakeTaskLifecycle): void {
    if (!this.settings.webhooks) return;
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

  /** Sends the task's current state under PiAPI's retry policy; a retry carries the same body. */
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
        this.settings.deliveryTimeoutMs,
        (result, outcome) => {
          const failed = typeof result !== 'number' || result < 200 || result >= 300;
          const dropped = failed && number >= this.settings.attempts;
          const record: FakeDeliveryAttempt = {
            taskId: task.task_id,
            status,
            timestamp,
            attempt: number,
            result,
            dropped,
          };
          this.deliveries.push(outcome === undefined ? record : { ...record, outcome });
          if (failed && !dropped && !this.closed) {
            this.later(this.settings.retryDelayMs, () => attempt(number + 1));
          } else {
            this.pendingDeliveries -= 1;
          }
          this.emit('change');
        },
      );
    };
    attempt(1);
  }

  /** @internal Answers one request. */
  async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const apiKey = req.headers['x-api-key'];
    if (req.method === 'POST' && url.pathname === '/api/v1/task') {
      if (apiKey !== this.settings.apiKey) return send(res, 401, { code: 401, data: null, message: 'Unauthorized' });
      let body: FakeCreateTaskBody | null;
      try {
        body = (await readJson(req)) as FakeCreateTaskBody | null;
      } catch {
        return send(res, 400, { code: 400, data: null, message: 'invalid json' });
      }
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
    if (apiKey !== this.settings.apiKey) return send(res, 401, { code: 401, data: null, message: 'Unauthorized' });
    const task = this.tasks.get(taskId);
    if (task === undefined) return send(res, 404, { code: 404, data: null, message: 'task not found' });
    return send(res, 200, { code: 200, data: task, message: 'success' });
  }
}

/**
 * Starts a fake PiAPI on a loopback port, for tests and local trials of
 * recovery: it serves get-task and task creation with PiAPI's envelope
 * `{ code, data, message }`, and sends each task's notifications to its
 * `config.webhook_config.endpoint` under PiAPI's retry policy.
 *
 * @param options - see {@link FakePiapiOptions}
 * @returns the running fake; `close()` it after
 *
 * @example
 * ```ts
 * const piapi = await createFakePiapi({ apiKey: 'test-key' });
 * const hook = piapiWebhook({ secret, onTask, recovery: { apiKey: 'test-key', baseUrl: piapi.url } });
 * const task = await piapi.createTask({ model: 'midjourney', task_type: 'imagine' });
 * piapi.updateTask(task.task_id, { status: 'completed' }, { notify: false }); // its webhook is lost
 * await hook.reconcile([task.task_id]); // onTask runs, with ctx.source 'recovery'
 * await piapi.close();
 * ```
 */
export async function createFakePiapi(options: FakePiapiOptions = {}): Promise<FakePiapi> {
  const server = createServer();
  const fake = new FakePiapi(
    server,
    {
      apiKey: options.apiKey ?? 'fake-piapi-key',
      lifecycle: options.lifecycle ?? false,
      webhooks: options.webhooks ?? true,
      timeScale: options.timeScale ?? 1,
      retryDelayMs: options.retryDelayMs ?? 5000,
      attempts: options.attempts ?? 3,
      deliveryTimeoutMs: options.deliveryTimeoutMs ?? 15_000,
    },
    options.seed ?? 1,
  );
  server.on('request', (req, res) => void fake.route(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return fake;
}
