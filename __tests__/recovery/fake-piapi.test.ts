import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakePiapi } from '../helpers/fake-piapi.js';
import { eventually } from '../helpers/wait.js';

// The fault suite trusts this fake to behave like PiAPI; these tests hold it to that.

interface Received {
  headers: IncomingMessage['headers'];
  body: { timestamp: number; data: { task_id: string; status: string } };
  at: number;
}

/** A webhook endpoint that answers `answer(n)` to its n-th request (from 1) and records each. */
async function endpoint(answer: (n: number) => number): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString()), at: Date.now() });
      res.writeHead(answer(received.length)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

const KEY = 'fake-key';
const lifecycle = () => ({ pendingMs: 1000, processingMs: 1000, outcome: 'completed' as const });
let piapi: FakePiapi;
let hook: Awaited<ReturnType<typeof endpoint>> | undefined;

afterEach(async () => {
  await piapi.close();
  hook?.server.close();
  hook = undefined;
});

function create(url: string): Promise<Response> {
  return fetch(`${piapi.url}/api/v1/task`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'm',
      task_type: 't',
      input: {},
      config: { webhook_config: { endpoint: url, secret: 's3cret' } },
    }),
  });
}

describe('fake PiAPI', () => {
  it('creates a task, serves it with get-task, and sends pending, processing, completed webhooks with the secret', async () => {
    piapi = await FakePiapi.start({ apiKey: KEY, timeScale: 0.01, lifecycle });
    hook = await endpoint(() => 200);
    const created = (await (await create(hook.url)).json()) as {
      code: number;
      data: { task_id: string; status: string };
    };
    expect(created).toMatchObject({ code: 200, message: 'success', data: { status: 'pending' } });
    await piapi.idle();
    expect(hook.received.map((r) => r.body.data.status)).toEqual(['pending', 'processing', 'completed']);
    expect(
      hook.received.every(
        (r) => r.headers['x-webhook-secret'] === 's3cret' && r.headers['content-type'] === 'application/json',
      ),
    ).toBe(true);
    const got = await fetch(`${piapi.url}/api/v1/task/${created.data.task_id}`, { headers: { 'x-api-key': KEY } });
    expect(await got.json()).toMatchObject({ code: 200, data: { task_id: created.data.task_id, status: 'completed' } });
    expect(piapi.dropped()).toEqual([]);
  });

  it('retries a failed delivery after 5 s (scaled), 3 attempts in all, with the same body, then drops it', async () => {
    piapi = await FakePiapi.start({
      apiKey: KEY,
      timeScale: 0.02,
      lifecycle: () => ({ pendingMs: 60_000, processingMs: 0, outcome: 'failed' }),
    });
    hook = await endpoint(() => 500);
    await create(hook.url);
    await eventually(() => piapi.dropped().length === 1, 'the pending notification to be dropped');
    const attempts = hook.received.filter((r) => r.body.data.status === 'pending');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((r) => r.body.timestamp)).size).toBe(1);
    // At least the scaled 5 s between attempts: PiAPI never retries sooner.
    expect((attempts[1] as Received).at - (attempts[0] as Received).at).toBeGreaterThanOrEqual(100 - 5);
    expect(piapi.deliveries.map((d) => [d.attempt, d.result, d.dropped])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 500, true],
    ]);
  });

  it('counts a refused connection as a failed attempt', async () => {
    piapi = await FakePiapi.start({ apiKey: KEY, timeScale: 0.01, lifecycle });
    hook = await endpoint(() => 200);
    const { url } = hook;
    await new Promise((resolve) => hook?.server.close(resolve));
    await create(url);
    await piapi.idle();
    expect(piapi.deliveries.filter((d) => d.status === 'completed').map((d) => d.result)).toEqual([
      'ECONNREFUSED',
      'ECONNREFUSED',
      'ECONNREFUSED',
    ]);
    expect(piapi.dropped()).toHaveLength(3);
  });

  it.each([
    [
      'a wrong API key on create',
      () => fetch(`${piapi.url}/api/v1/task`, { method: 'POST', headers: { 'x-api-key': 'no' }, body: '{}' }),
      401,
    ],
    [
      'a create without model',
      () =>
        fetch(`${piapi.url}/api/v1/task`, { method: 'POST', headers: { 'x-api-key': KEY }, body: '{"task_type":"t"}' }),
      400,
    ],
    ['an unknown task', () => fetch(`${piapi.url}/api/v1/task/nope`, { headers: { 'x-api-key': KEY } }), 404],
    ['a wrong API key on get', () => fetch(`${piapi.url}/api/v1/task/nope`, { headers: { 'x-api-key': 'no' } }), 401],
  ])('answers %s with an envelope and HTTP %i', async (_name, call, status) => {
    piapi = await FakePiapi.start({ apiKey: KEY, webhooks: false });
    const response = await call();
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ code: status, data: null });
  });
});
