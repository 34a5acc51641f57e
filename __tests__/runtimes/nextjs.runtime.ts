/**
 * The Next.js example (examples/nextjs: App Router, a route handler with
 * `after`) with the packed tarball: installed from the npm registry, built with
 * `next build`, served with `next start` on a free port, and sent notifications.
 * Next's telemetry is off, and nothing but the npm registry is reached.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createNotification } from '../../lib/testing/index.js';
import { post, rawPost, streamedPastLimit } from './checks';
import { packTarball } from './install';
import { freePort, SECRET, startServer, waitForOutput, type RunningServer } from './servers';

const run = promisify(execFile);
const EXAMPLE = join(__dirname, '..', '..', 'examples', 'nextjs');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const env = { NEXT_TELEMETRY_DISABLED: '1', PIAPI_WEBHOOK_SECRET: SECRET };

// npm install and `next build` take minutes on a busy 2-core machine; the limit only matters when something hangs.
jest.setTimeout(20 * 60_000);

describe('the Next.js example with the packed tarball', () => {
  let dir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'piapi-webhook-nextjs-'));
    cpSync(EXAMPLE, dir, { recursive: true, filter: (source) => !/[\\/](node_modules|\.next)$/.test(source) });
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    manifest.dependencies['piapi-webhook'] = `file:${await packTarball()}`;
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
    const options = { cwd: dir, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 };
    await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline'], options);
    const next = join(dir, 'node_modules', 'next', 'dist', 'bin', 'next');
    // Built without the secret, as Docker and CI builds often are (issue 18 item 15): the route
    // reads its options on the first request, so `next build` must not need them.
    const { PIAPI_WEBHOOK_SECRET: _unset, ...buildEnv } = options.env;
    await run(process.execPath, [next, 'build'], { ...options, env: buildEnv });
    const port = await freePort();
    const ready = (line: string): string | undefined =>
      /Ready in/.test(line) ? `http://127.0.0.1:${port}` : undefined;
    server = await startServer(
      process.execPath,
      [next, 'start', '-p', String(port), '-H', '127.0.0.1'],
      dir,
      env,
      ready,
    );
  });

  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    await server?.stop();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const hook = (): string => `${server.url}/api/piapi/webhook`;
  /** The example's onTask prints `[piapi] handled <task_id> …` for each task it handles. */
  const handledLine = (taskId: string): RegExp => new RegExp(`^\\[piapi\\] handled ${taskId} `);
  const timesHandled = (taskId: string): number =>
    server.output.filter((line) => handledLine(taskId).test(line)).length;

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
    expect(server.output.filter((line) => /error|waitUntil threw/i.test(line))).toEqual([]);
  });
});
