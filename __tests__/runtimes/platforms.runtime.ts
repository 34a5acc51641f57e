/**
 * The packed tarball in the non-Node runtimes users deploy the Fetch handler on:
 * Bun.serve, Deno.serve, and Cloudflare's workerd without nodejs_compat and with
 * a compatibility date that refuses eval (then with nodejs_compat, which lends the
 * Fetch entry node:crypto). Their binaries come from the npm
 * registry (runtimes.json), installed once per machine under the OS temp dir:
 * about 370 MB, which is why this runs with `npm run test:runtimes`, not `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectReceiverBehaviour } from './checks';
import { consumerProject, packTarball, runtimeBinaries } from './install';
import { DEADLINE_MS, freePort, startServer, startSilentServer, waitForOutput, type RunningServer } from './servers';

jest.setTimeout(2 * DEADLINE_MS);
// Packing, and npm installs that may download the runtimes on a cold machine: only matters when something hangs.
const INSTALL_DEADLINE_MS = 15 * 60_000;

/** Before 2025-06-01, workerd refuses eval and new Function even at start-up, as Workers did then. */
const COMPATIBILITY_DATE = '2024-09-23';

function workerdConfig(port: number, flags: readonly string[]): string {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "worker.bundle.js")],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  compatibilityFlags = [${flags.map((flag) => `"${flag}"`).join(', ')}],
);
`;
}

describe('the packed tarball in Bun, Deno and workerd', () => {
  let dir: string;
  let bin: string;

  beforeAll(async () => {
    const [tarball, binaries] = await Promise.all([packTarball(), runtimeBinaries()]);
    bin = binaries;
    dir = await consumerProject(tarball, ['hono@^4']);
  }, INSTALL_DEADLINE_MS);

  afterAll(() => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  /** Whether the app's runtime lends node:crypto to the Fetch entry, which then hashes with it instead of JavaScript. */
  async function lendsNodeModules(url: string): Promise<boolean> {
    return ((await (await fetch(`${url}/builtins`)).json()) as { lendsNodeModules: boolean }).lendsNodeModules;
  }

  it('holds in Bun.serve, hashing with the node:crypto Bun lends', async () => {
    // --no-install: modules come from the node_modules npm installed, never fetched by Bun itself.
    server = await startServer(join(bin, 'bun'), ['--no-install', 'run', 'bun.mjs'], dir);
    expect(await lendsNodeModules(server.url)).toBe(true);
    await expectReceiverBehaviour(server.url);
  });

  it('holds in Deno.serve, from the node_modules dir npm installed', async () => {
    const denoDir = join(dir, '.deno');
    mkdirSync(denoDir);
    const args = [
      'run',
      '--node-modules-dir=manual',
      '--no-remote',
      '--allow-net=127.0.0.1',
      '--allow-read',
      '--allow-env',
      'deno.mjs',
    ];
    server = await startServer(join(bin, 'deno'), args, dir, {
      DENO_DIR: denoDir,
      DENO_NO_UPDATE_CHECK: '1',
      NO_COLOR: '1',
    });
    expect(await lendsNodeModules(server.url)).toBe(true);
    await expectReceiverBehaviour(server.url);
  });

  /** Bundles `worker` for workerd and serves it at the compatibility date above, with `flags` (none: no nodejs_compat). */
  async function serveWorker(worker: string, flags: readonly string[] = []): Promise<RunningServer> {
    // A bundle for the workerd condition, with no Node built-ins to fall back on: a node:* import fails here.
    const esbuildArgs = [worker, '--bundle', '--format=esm', '--platform=neutral', '--main-fields=module,main'];
    execFileSync(
      join(bin, 'esbuild'),
      [...esbuildArgs, '--conditions=workerd,worker', '--outfile=worker.bundle.js', '--log-level=warning'],
      { cwd: dir },
    );
    const port = await freePort();
    writeFileSync(join(dir, 'worker.capnp'), workerdConfig(port, flags));
    return startSilentServer(join(bin, 'workerd'), ['serve', 'worker.capnp'], dir, `http://127.0.0.1:${port}`);
  }

  it('refuses new Function in workerd as configured here, so the cases below prove the package needs no eval', async () => {
    server = await serveWorker('eval-probe.mjs');
    expect((await fetch(`${server.url}/eval`)).status).toBe(500);
    await waitForOutput(server, /EvalError: Code generation from strings disallowed/);
  });

  it.each([
    ['a module worker passing its ctx', 'worker.mjs'],
    ['Hono passing c.executionCtx', 'hono-worker.mjs'],
  ])(
    'holds in workerd without nodejs_compat, where eval is refused, with onTask kept alive by waitUntil: %s',
    async (_name, worker) => {
      server = await serveWorker(worker);
      expect(await lendsNodeModules(server.url)).toBe(false);
      // The apps' onTask awaits a timer before it records: after the answer, only waitUntil keeps that alive here.
      await expectReceiverBehaviour(server.url);
    },
  );

  it('holds in workerd with nodejs_compat, hashing with the node:crypto it lends', async () => {
    server = await serveWorker('worker.mjs', ['nodejs_compat']);
    expect(await lendsNodeModules(server.url)).toBe(true);
    await expectReceiverBehaviour(server.url);
  });
});
