/**
 * upstashStore from the packed tarball in the runtimes users deploy it on: workerd
 * without nodejs_compat, Bun and Deno, each with the real `@upstash/redis` client
 * talking to the Upstash REST bridge (helpers/upstash-bridge.ts) over a real
 * redis-server started here. Every request is served by a fresh handler instance
 * (apps/upstash-routes.mjs), so a copy is refused by the store alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from '@upstash/redis';
import { piapiWebhookHandler } from '../../lib/fetch/index.js';
import { createFakePiapi, createNotification, deliveryHeaders, type FakePiapi } from '../../lib/testing/index.js';
import { upstashStore } from '../../lib/upstash.js';
import { RedisServer } from '../helpers/redis-server.js';
import { UpstashBridge } from '../helpers/upstash-bridge.js';
import { consumerProject, packTarball, runtimeBinaries } from './install';
import { DEADLINE_MS, freePort, SECRET, startServer, startSilentServer, type RunningServer } from './servers';

jest.setTimeout(2 * DEADLINE_MS);
const INSTALL_DEADLINE_MS = 15 * 60_000;

/** Before 2025-06-01, workerd refuses eval and new Function even at start-up, as Workers did then. */
const COMPATIBILITY_DATE = '2024-09-23';

const API_KEY = 'upstash-runtime-api-key';

/**
 * The worker under test on `port`; on `triggerPort`, a test-only worker that fires
 * genuine scheduled events at it through a service binding (scheduled-trigger.mjs).
 */
function workerdConfig(port: number, triggerPort: number, bindings: Record<string, string>): string {
  const texts = Object.entries(bindings).map(([name, text]) => `(name = "${name}", text = "${text}")`);
  // The default "internet" service reaches public addresses only: the bridge listens on loopback.
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "trigger", worker = .trigger),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:${port}", http = (), service = "main"),
    (name = "cron", address = "127.0.0.1:${triggerPort}", http = (), service = "trigger"),
  ],
);

# Experimental, hence \`workerd serve --experimental\`: only this test-only worker has the flag.
const trigger :Workerd.Worker = (
  modules = [(name = "trigger", esModule = embed "scheduled-trigger.mjs")],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  compatibilityFlags = ["service_binding_extra_handlers"],
  bindings = [(name = "APP", service = "main")],
);

const worker :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "upstash-worker.bundle.js")],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  compatibilityFlags = [],
  bindings = [${texts.join(', ')}],
);
`;
}

describe('upstashStore from the packed tarball, through the Upstash REST bridge', () => {
  let dir: string;
  let bin: string;
  let redis: RedisServer;
  let bridge: UpstashBridge;
  let piapi: FakePiapi;

  beforeAll(async () => {
    redis = await RedisServer.start();
    bridge = await UpstashBridge.start(redis.url);
    // Webhooks off: a task it ends is known only through get-task, as when every webhook was lost.
    piapi = await createFakePiapi({ apiKey: API_KEY, webhooks: false });
    const [tarball, binaries] = await Promise.all([packTarball(), runtimeBinaries()]);
    bin = binaries;
    dir = await consumerProject(tarball, ['@upstash/redis@^1.39']);
  }, INSTALL_DEADLINE_MS);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await piapi.close();
    await bridge.close();
    await redis.stop();
  });

  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  const upstashEnv = (prefix: string) => ({
    UPSTASH_URL: bridge.url,
    UPSTASH_TOKEN: bridge.token,
    UPSTASH_PREFIX: prefix,
  });

  async function handled(url: string): Promise<string[]> {
    return (await (await fetch(`${url}/handled`)).json()) as string[];
  }

  async function waitUntilHandled(url: string, taskId: string): Promise<string[]> {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const list = await handled(url);
      if (list.includes(taskId)) return list;
      if (Date.now() > deadline) throw new Error(`onTask never finished ${taskId}; handled: ${JSON.stringify(list)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A genuine delivery is handled; the same delivery, to a fresh handler instance, is answered as a duplicate and not handled. */
  async function expectDeliveryAndDuplicate(url: string): Promise<void> {
    const send = async (body: string) => {
      const response = await fetch(`${url}/hook`, { method: 'POST', headers: deliveryHeaders(SECRET), body });
      return [response.status, response.headers.get('x-piapi-webhook-outcome'), await response.json()];
    };
    const genuine = createNotification();
    const id = genuine.data.task_id;
    const before = bridge.total;
    expect(await send(JSON.stringify(genuine))).toEqual([200, 'accepted', { ok: true }]);
    expect(await waitUntilHandled(url, id)).toEqual([id]);
    expect(await send(JSON.stringify(genuine))).toEqual([200, 'duplicate', { ok: true }]);
    const later = createNotification();
    expect(await send(JSON.stringify(later))).toEqual([200, 'accepted', { ok: true }]);
    expect(await waitUntilHandled(url, later.data.task_id)).toEqual([id, later.data.task_id]);
    // Every step went through the bridge (claims and completions): nothing was decided in memory.
    expect(bridge.total - before).toBeGreaterThanOrEqual(5);
  }

  /** workerd on the bundled upstash-worker.mjs, without nodejs_compat; its trigger worker's URL beside it. */
  async function startWorkerd(prefix: string): Promise<{ server: RunningServer; trigger: string }> {
    const esbuildArgs = ['upstash-worker.mjs', '--bundle', '--format=esm', '--platform=neutral'];
    execFileSync(
      join(bin, 'esbuild'),
      [
        ...esbuildArgs,
        '--main-fields=module,main',
        '--conditions=workerd,worker',
        '--outfile=upstash-worker.bundle.js',
        '--log-level=warning',
      ],
      { cwd: dir },
    );
    const [port, triggerPort] = [await freePort(), await freePort()];
    const bindings = { ...upstashEnv(prefix), PIAPI_API_KEY: API_KEY, PIAPI_URL: piapi.url };
    writeFileSync(join(dir, 'upstash-worker.capnp'), workerdConfig(port, triggerPort, bindings));
    const started = await startSilentServer(
      join(bin, 'workerd'),
      ['serve', '--experimental', 'upstash-worker.capnp'],
      dir,
      `http://127.0.0.1:${port}`,
    );
    return { server: started, trigger: `http://127.0.0.1:${triggerPort}` };
  }

  it('holds in workerd without nodejs_compat, where eval is refused: delivery, and a duplicate across instances', async () => {
    ({ server } = await startWorkerd(`workerd${Math.random()}:`));
    await expectDeliveryAndDuplicate(server.url);
  });

  it('recovers, in workerd without nodejs_compat, a watched task whose webhooks were lost from scheduled(), with ctx.waitUntil', async () => {
    const prefix = `workerd-cron${Math.random()}:`;
    const workerd = await startWorkerd(prefix);
    server = workerd.server;
    // Watched where it is created (another worker, or a server), in the same Upstash database.
    const task = await piapi.createTask({ model: 'Qubico/flux1-dev', task_type: 'txt2img', input: { prompt: 'x' } });
    const creator = piapiWebhookHandler({
      secret: SECRET,
      store: upstashStore(new Redis({ url: bridge.url, token: bridge.token }), { prefix }),
      recovery: { apiKey: API_KEY, baseUrl: piapi.url, intervalSeconds: 0, checkAfterSeconds: 0.1 },
      onTask: () => {
        throw new Error('the creator only watches');
      },
    });
    await creator.watch(task.task_id);
    piapi.updateTask(task.task_id, { status: 'completed', output: { image_url: 'https://example.com/x.png' } });

    // Each event is a cron tick: fired until one run's report has recovered the task.
    const deadline = Date.now() + DEADLINE_MS;
    let reports: Array<{ cron: string; recovered: string[] }> = [];
    while (!reports.some((report) => report.recovered.includes(task.task_id))) {
      if (Date.now() > deadline)
        throw new Error(`scheduled() never recovered ${task.task_id}: ${JSON.stringify(reports)}`);
      const fired = await fetch(`${workerd.trigger}/?cron=${encodeURIComponent('*/5 * * * *')}`);
      expect(await fired.json()).toMatchObject({ outcome: 'ok' });
      const before = reports.length;
      const runDeadline = Date.now() + DEADLINE_MS;
      // The run goes on in waitUntil after the event: its report arrives when it ends.
      while (reports.length === before && Date.now() < runDeadline) {
        reports = (await (await fetch(`${server.url}/reconciled`)).json()) as typeof reports;
        if (reports.length === before) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(reports.at(-1)?.cron).toBe('*/5 * * * *');
    expect(await waitUntilHandled(server.url, task.task_id)).toEqual([task.task_id]);
    expect(piapi.getRequests.some((request) => request.taskId === task.task_id && request.apiKey === API_KEY)).toBe(
      true,
    );
  });

  it('holds in Bun.serve: delivery, and a duplicate across instances', async () => {
    server = await startServer(
      join(bin, 'bun'),
      ['--no-install', 'run', 'upstash-bun.mjs'],
      dir,
      upstashEnv(`bun${Math.random()}:`),
    );
    await expectDeliveryAndDuplicate(server.url);
  });

  it('holds in Deno.serve: delivery, and a duplicate across instances', async () => {
    const denoDir = join(dir, '.deno');
    mkdirSync(denoDir, { recursive: true });
    const args = [
      'run',
      '--node-modules-dir=manual',
      '--no-remote',
      '--allow-net=127.0.0.1',
      '--allow-read',
      '--allow-env',
      'upstash-deno.mjs',
    ];
    server = await startServer(join(bin, 'deno'), args, dir, {
      ...upstashEnv(`deno${Math.random()}:`),
      DENO_DIR: denoDir,
      DENO_NO_UPDATE_CHECK: '1',
      NO_COLOR: '1',
    });
    await expectDeliveryAndDuplicate(server.url);
  });
});
