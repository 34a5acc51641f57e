/** `http.createServer(piapiWebhook(options))`: the middleware is a plain Node request listener. */
import { createServer, type Server } from 'node:http';
import { piapiWebhook, type PiapiTask, type PiapiWebhookOptions } from '../../lib/index.js';
import { rawRequest } from '../helpers/apps.js';
import { notification, NOW_MS, SECRET } from '../helpers/notifications.js';

const JSON_HEADERS = { 'content-type': 'application/json', 'x-webhook-secret': SECRET };

async function listen(options: Partial<PiapiWebhookOptions> = {}) {
  const received: PiapiTask[] = [];
  const waiters: Array<() => void> = [];
  const hook = piapiWebhook({
    secret: SECRET,
    now: () => NOW_MS,
    onTask: (task) => {
      received.push(task);
      for (const wake of waiters.splice(0)) wake();
    },
    ...options,
  });
  const server = createServer(hook);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const handled = (count: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => (received.length >= count ? resolve() : void waiters.push(check));
      check();
    });
  return { server, hook, received, handled };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('piapiWebhook on bare node:http', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server !== undefined) await close(server);
    server = undefined;
  });

  it('answers a genuine delivery 200 and runs onTask once; a retry is answered and not handled', async () => {
    const created = await listen();
    server = created.server;
    const body = Buffer.from(JSON.stringify(notification()));
    const first = await rawRequest(server, 'POST', JSON_HEADERS, body);
    const retry = await rawRequest(server, 'POST', JSON_HEADERS, body);
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(first.json).toEqual({ ok: true });
    await created.handled(1);
    expect(created.received).toHaveLength(1);
  });

  it.each([
    ['a wrong secret', 'POST', { ...JSON_HEADERS, 'x-webhook-secret': 'wrong' }, '{}', 401, 'invalid_secret'],
    ['a GET', 'GET', JSON_HEADERS, undefined, 405, 'method_not_allowed'],
    ['text/plain', 'POST', { ...JSON_HEADERS, 'content-type': 'text/plain' }, '{}', 415, 'unsupported_media_type'],
    ['malformed JSON', 'POST', JSON_HEADERS, '{', 400, 'invalid_json'],
  ])('refuses %s with its reason code', async (_name, method, headers, body, status, reason) => {
    const created = await listen();
    server = created.server;
    const response = await rawRequest(server, method, headers, body === undefined ? undefined : Buffer.from(body));
    expect(response.status).toBe(status);
    expect(response.json?.['error']).toBe(reason);
    expect(created.received).toHaveLength(0);
  });

  it('answers 413 for a body over the limit', async () => {
    const created = await listen({ limit: 1024 });
    server = created.server;
    const response = await rawRequest(
      server,
      'POST',
      JSON_HEADERS,
      Buffer.from(JSON.stringify(notification({ input: { prompt: 'x'.repeat(4096) } }))),
    );
    expect(response.status).toBe(413);
    expect(response.json?.['error']).toBe('payload_too_large');
  });

  it('drains: drain() resolves once the running handler is done, and later deliveries get 503', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const created = await listen({ onTask: () => held });
    server = created.server;
    expect((await rawRequest(server, 'POST', JSON_HEADERS, Buffer.from(JSON.stringify(notification())))).status).toBe(
      200,
    );
    const drained = created.hook.drain(60_000);
    const refused = await rawRequest(
      server,
      'POST',
      JSON_HEADERS,
      Buffer.from(JSON.stringify(notification({ task_id: 'late' }))),
    );
    expect(refused.status).toBe(503);
    release();
    await expect(drained).resolves.toEqual({ timedOut: false, pending: [] });
  });
});
