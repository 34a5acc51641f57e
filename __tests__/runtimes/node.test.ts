/**
 * The packed tarball in the Node servers users deploy on: node:http with the
 * middleware as the whole server, Hono on @hono/node-server (2.x and 1.x) with
 * the Fetch handler, and Fastify 5 with the plugin. Each consumer app (apps/) runs in its
 * own process, from a project that installed the tarball.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expectReceiverBehaviour, post } from './checks';
import { consumerProject, packTarball } from './install';
import { DEADLINE_MS, startServer, type RunningServer } from './servers';

jest.setTimeout(2 * DEADLINE_MS);
// Packing, and npm installs that may download the runtimes on a cold machine: only matters when something hangs.
const INSTALL_DEADLINE_MS = 10 * 60_000;

describe('the packed tarball on Node servers', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await consumerProject(await packTarball(), [
      'hono@^4',
      '@hono/node-server@^2',
      'hono-node-server-1@npm:@hono/node-server@^1',
      'fastify@^5',
    ]);
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

  const start = async (app: string): Promise<RunningServer> =>
    (server = await startServer(process.execPath, [join(dir, app)], dir));

  it('holds on node:http, with the middleware as the whole server', async () => {
    const { url, output } = await start('node-http.mjs');
    const hookPort = output.map((line) => /^hook (\d+)$/.exec(line)?.[1]).find(Boolean);
    await expectReceiverBehaviour(url, `http://127.0.0.1:${hookPort}/hook`);
  });

  it.each([
    ['2.x', 'hono.mjs'],
    ['1.x', 'hono-v1.mjs'],
  ])('holds on Hono with @hono/node-server %s, through the Fetch handler', async (_major, app) => {
    const { url } = await start(app);
    await expectReceiverBehaviour(url);
  });

  it("holds on Fastify 5 with the plugin, and leaves the app's JSON routes alone", async () => {
    const { url } = await start('fastify.mjs');
    await expectReceiverBehaviour(url);
    expect(await post(`${url}/echo`, JSON.stringify({ a: 1 }))).toEqual({ status: 200, body: { echoed: { a: 1 } } });
  });
});
