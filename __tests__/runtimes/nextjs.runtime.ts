/**
 * The Next.js example (examples/nextjs: App Router, a webhook route with `after`,
 * upstashStore, a reconcileHandler cron route) with the packed tarball: installed
 * from the npm registry, built with `next build` (without any secret), served
 * with `next start` on a free port, and sent notifications. Its store is the real
 * `@upstash/redis` client talking to an UpstashBridge over a real redis-server
 * started here, and its recovery asks a fake PiAPI. Next's telemetry is off, and
 * nothing but the npm registry is reached.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from '@upstash/redis';
import { piapiWebhookHandler } from '../../lib/fetch/index.js';
import { createFakePiapi, createNotification, deliveryHeaders, type FakePiapi } from '../../lib/testing/index.js';
import { upstashStore } from '../../lib/upstash.js';
import { RedisServer } from '../helpers/redis-server.js';
import { UpstashBridge } from '../helpers/upstash-bridge.js';
import { post, rawPost, streamedPastLimit } from './checks';
import { packTarball } from './install';
import { DEADLINE_MS, freePort, SECRET, startServer, waitForOutput, type RunningServer } from './servers';

const run = promisify(execFile);
const EXAMPLE = join(__dirname, '..', '..', 'examples', 'nextjs');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const API_KEY = 'nextjs-example-api-key';
const CRON_SECRET = 'nextjs-example-cron-secret';

// npm install and `next build` take minutes on a busy 2-core machine; the limit only matters when something hangs.
jest.setTimeout(20 * 60_000);

describe('the Next.js example with the packed tarball', () => {
  let dir: string;
  let next: string;
  let redis: RedisServer;
  let bridge: UpstashBridge;
  let piapi: FakePiapi;
  let server: RunningServer;
  /** Every server started, the stopped ones too: onTask's lines across restarts. */
  const servers: RunningServer[] = [];
  const env = (): Record<string, string> => ({
    NEXT_TELEMETRY_DISABLED: '1',
    PIAPI_WEBHOOK_SECRET: SECRET,
    UPSTASH_REDIS_REST_URL: bridge.url,
    UPSTASH_REDIS_REST_TOKEN: bridge.token,
    PIAPI_API_KEY: API_KEY,
    PIAPI_BASE_URL: piapi.url,
    CRON_SECRET,
  });

  async function startNext(): Promise<void> {
    const port = await freePort();
    const ready = (line: string): string | undefined =>
      /Ready in/.test(line) ? `http://127.0.0.1:${port}` : undefined;
    server = await startServer(
      process.execPath,
      [next, 'start', '-p', String(port), '-H', '127.0.0.1'],
      dir,
      env(),
      ready,
    );
    servers.push(server);
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    bridge = await UpstashBridge.start(redis.url);
    // Webhooks off: a task it ends is known only through get-task, as when every webhook was lost.
    piapi = await createFakePiapi({ apiKey: API_KEY, webhooks: false });
    dir = mkdtempSync(join(tmpdir(), 'piapi-webhook-nextjs-'));
    cpSync(EXAMPLE, dir, { recursive: true, filter: (source) => !/[\\/](node_modules|\.next)$/.test(source) });
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    manifest.dependencies['piapi-webhook'] = `file:${await packTarball()}`;
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
    const options = { cwd: dir, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, maxBuffer: 64 * 1024 * 1024 };
    await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline'], options);
    next = join(dir, 'node_modules', 'next', 'dist', 'bin', 'next');
    // Built without any secret, as Docker and CI builds often are (issue 18 item 15): both routes
    // read their options on the first request, so `next build` must not need them.
    await run(process.execPath, [next, 'build'], options);
    await startNext();
  });

  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    await server?.stop();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    /* eslint-disable @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed early */
    await piapi?.close();
    await bridge?.close();
    await redis?.stop();
    /* eslint-enable @typescript-eslint/no-unnecessary-condition */
  });

  const hook = (): string => `${server.url}/api/piapi/webhook`;
  /** The example's onTask prints `[piapi] handled <task_id> …` for each task it handles. */
  const handledLine = (taskId: string): RegExp => new RegExp(`^\\[piapi\\] handled ${taskId} `);
  const timesHandled = (taskId: string): number =>
    servers.flatMap((one) => one.output).filter((line) => handledLine(taskId).test(line)).length;
  /** A delivery with PiAPI's headers, and the answer's status and `x-piapi-webhook-outcome`. */
  const deliver = async (body: string): Promise<{ status: number; outcome: string | null }> => {
    const response = await fetch(hook(), { method: 'POST', headers: deliveryHeaders(SECRET), body });
    await response.arrayBuffer();
    return { status: response.status, outcome: response.headers.get('x-piapi-webhook-outcome') };
  };
  const cron = (authorization?: string): Promise<Response> =>
    fetch(`${server.url}/api/piapi/reconcile`, authorization === undefined ? {} : { headers: { authorization } });

  it('answers a genuine delivery 200 and runs onTask through after(), and answers the duplicate without handling it', async () => {
    const genuine = createNotification();
    expect(await post(hook(), JSON.stringify(genuine))).toEqual({ status: 200, body: { ok: true } });
    await waitForOutput(server, handledLine(genuine.data.task_id));

    expect(await post(hook(), JSON.stringify(genuine))).toEqual({ status: 200, body: { ok: true } });
    // Handlers start in order, right after their answer: once a later delivery is handled, the duplicate's would have been.
    const later = createNotification();
    expect(await post(hook(), JSON.stringify(later))).toEqual({ status: 200, body: { ok: true } });
    await waitForOutput(server, handledLine(later.data.task_id));
    expect(timesHandled(genuine.data.task_id)).toBe(1);
  });

  it('answers a copy sent after the Next.js server restarted as a duplicate, without running onTask again', async () => {
    const genuine = createNotification();
    expect(await deliver(JSON.stringify(genuine))).toEqual({ status: 200, outcome: 'accepted' });
    await waitForOutput(server, handledLine(genuine.data.task_id));

    // Nothing of the first server survives but what it wrote to the store (Upstash, through the bridge).
    await server.stop();
    await startNext();
    expect(await deliver(JSON.stringify(genuine))).toEqual({ status: 200, outcome: 'duplicate' });
    const later = createNotification();
    expect(await deliver(JSON.stringify(later))).toEqual({ status: 200, outcome: 'accepted' });
    await waitForOutput(server, handledLine(later.data.task_id));
    expect(timesHandled(genuine.data.task_id)).toBe(1);
  });

  it('refuses the cron route without the bearer secret, and with it recovers a watched task whose webhooks were lost', async () => {
    const missing = await cron();
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: 'missing_secret' });
    const wrong = await cron('Bearer not-the-cron-secret');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_secret' });

    // Watched where it is created (another function of the app), in the shared store.
    const task = await piapi.createTask({ model: 'Qubico/flux1-dev', task_type: 'txt2img', input: { prompt: 'x' } });
    const creator = piapiWebhookHandler({
      secret: SECRET,
      store: upstashStore(new Redis({ url: bridge.url, token: bridge.token })),
      recovery: { apiKey: API_KEY, baseUrl: piapi.url, intervalSeconds: 0, checkAfterSeconds: 0.1 },
      onTask: () => {
        throw new Error('the creator only watches');
      },
    });
    await creator.watch(task.task_id);
    piapi.updateTask(task.task_id, { status: 'completed', output: { image_url: 'https://example.com/x.png' } });

    const recovered: string[] = [];
    const deadline = Date.now() + DEADLINE_MS;
    while (!recovered.includes(task.task_id)) {
      if (Date.now() > deadline) throw new Error(`the cron route never recovered ${task.task_id}`);
      const response = await cron(`Bearer ${CRON_SECRET}`);
      expect(response.status).toBe(200);
      const report = (await response.json()) as { checked: number; recovered: string[] };
      expect(JSON.stringify(report)).not.toContain(API_KEY);
      recovered.push(...report.recovered);
      if (!recovered.includes(task.task_id)) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await waitForOutput(server, new RegExp(`^\\[piapi\\] handled ${task.task_id} .* completed via recovery$`));
    expect(timesHandled(task.task_id)).toBe(1);
  });

  it('answers a wrong secret 401', async () => {
    expect(await post(hook(), JSON.stringify(createNotification()), 'wrong-secret')).toMatchObject({
      status: 401,
      body: { error: 'invalid_secret' },
    });
  });

  it('answers a body over the 1 MB default limit 413, announced or streamed', async () => {
    const oversized = JSON.stringify({ ...createNotification(), padding: 'x'.repeat(1100 * 1024) });
    const tooLarge = { status: 413, body: expect.objectContaining({ error: 'payload_too_large' }) };
    expect(await rawPost(hook(), { 'content-length': String(Buffer.byteLength(oversized)) }, oversized)).toEqual(
      tooLarge,
    );
    expect(await rawPost(hook(), { 'transfer-encoding': 'chunked' }, streamedPastLimit(1100))).toEqual(tooLarge);
  });

  it('logged no error, and after() took every handler', () => {
    expect(servers.flatMap((one) => one.output).filter((line) => /error|waitUntil threw/i.test(line))).toEqual([]);
  });
});
