import Fastify, { type FastifyInstance } from 'fastify';
import { Agent, request as httpRequest } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { piapiWebhookPlugin, type PiapiWebhookPluginOptions } from '../../lib/fastify/index.js';
import { PiapiWebhookConfigError, type PiapiTask, type WebhookOutcome } from '../../lib/index.js';
import { gate } from '../helpers/apps.js';
import { notification, NOW_MS, NOW_S, SECRET } from '../helpers/notifications.js';

const PATH = '/piapi/webhook';

/** A Fastify 5 app with the plugin, recording what it hands out; `handled(n)` resolves once onTask ran n times. */
async function createApp(options: Partial<PiapiWebhookPluginOptions> = {}, before?: (app: FastifyInstance) => void) {
  const received: PiapiTask[] = [];
  const outcomes: WebhookOutcome[] = [];
  const waiters: Array<() => void> = [];
  const app = Fastify();
  before?.(app);
  await app.register(piapiWebhookPlugin, {
    secret: SECRET,
    now: () => NOW_MS,
    onTask: (task) => {
      received.push(task);
      for (const wake of waiters.splice(0)) wake();
    },
    onOutcome: (outcome) => void outcomes.push(outcome),
    ...options,
  });
  const handled = (count: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => (received.length >= count ? resolve() : void waiters.push(check));
      check();
    });
  return { app, received, outcomes, handled };
}

/** The app's address, listening on a free port (light-my-request's inject does not load under jest's CommonJS). */
async function baseUrl(app: FastifyInstance): Promise<string> {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  json(): { error?: string; ok?: boolean; code?: string; [key: string]: unknown };
}

async function send(app: FastifyInstance, url: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(`${await baseUrl(app)}${url}`, init);
  const text = await response.text();
  return { statusCode: response.status, headers: Object.fromEntries(response.headers), json: () => JSON.parse(text) };
}

function post(
  app: FastifyInstance,
  body: unknown,
  secret: string | null = SECRET,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return send(app, PATH, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(secret === null ? {} : { 'x-webhook-secret': secret }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('piapiWebhookPlugin (Fastify 5)', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers 200 { ok: true } and hands the task to onTask once; a retry is answered and not handled', async () => {
    const created = await createApp();
    app = created.app;
    const first = await post(app, notification());
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(first.json()).toEqual({ ok: true });
    const retry = await post(app, notification());
    expect(retry.statusCode).toBe(200);
    await created.handled(1);
    expect(created.received.map((task) => task.task_id)).toEqual([notification().data.task_id]);
    expect(created.outcomes.map((outcome) => outcome.type)).toEqual(['accepted', 'duplicate']);
    expect(JSON.stringify(created.received)).not.toContain(SECRET);
  });

  it.each([
    ['a missing secret', null, '{}', {}, 401, 'missing_secret'],
    ['a wrong secret, even with a malformed body', 'wrong', '{not json', {}, 401, 'invalid_secret'],
    [
      'text/plain',
      SECRET,
      JSON.stringify(notification()),
      { 'content-type': 'text/plain' },
      415,
      'unsupported_media_type',
    ],
    ['malformed JSON', SECRET, '{"timestamp":', {}, 400, 'invalid_json'],
    [
      'a missing task_id',
      SECRET,
      JSON.stringify({ timestamp: NOW_S, data: { model: 'm', task_type: 't', status: 'pending' } }),
      {},
      400,
      'invalid_payload',
    ],
    ['a stale timestamp', SECRET, JSON.stringify(notification({}, NOW_S - 1000)), {}, 400, 'stale_timestamp'],
  ])('refuses %s', async (_name, secret, body, headers, status, reason) => {
    const created = await createApp();
    app = created.app;
    const response = await post(app, body, secret, headers);
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ error: reason, message: expect.any(String) });
    expect(created.received).toHaveLength(0);
  });

  it('answers 415 unsupported_media_type for a body without content-type', async () => {
    app = (await createApp()).app;
    // Bytes: fetch adds no content-type for them.
    const response = await send(app, PATH, {
      method: 'POST',
      headers: { 'x-webhook-secret': SECRET },
      body: new TextEncoder().encode(JSON.stringify(notification())),
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().error).toBe('unsupported_media_type');
  });

  it("leaves a malformed content-type header to Fastify's own 415, which it sends before any route code runs", async () => {
    app = (await createApp()).app;
    const response = await post(app, notification(), SECRET, { 'content-type': '' });
    expect(response.statusCode).toBe(415);
    expect(response.json().code).toBe('FST_ERR_CTP_INVALID_MEDIA_TYPE');
  });

  it('answers 413 for a body over the limit, with connection: close', async () => {
    const created = await createApp({ limit: 1024 });
    app = created.app;
    const response = await post(app, notification({ input: { prompt: 'x'.repeat(2048) } }));
    expect(response.statusCode).toBe(413);
    expect(response.headers['connection']).toBe('close');
  });

  it('accepts a drifted optional field and reports it as a warning', async () => {
    const created = await createApp();
    app = created.app;
    const response = await post(app, notification({ logs: {} as unknown as [] }));
    expect(response.statusCode).toBe(200);
    expect(created.outcomes[0]).toMatchObject({ type: 'accepted', warnings: ['data.logs must be array,null'] });
  });

  it("answers with the handler's result under ack: 'after-handler'", async () => {
    const created = await createApp({
      ack: 'after-handler',
      onTask: () => Promise.reject(new Error('boom')),
      onError: () => undefined,
    });
    app = created.app;
    const response = await post(app, notification());
    expect(response.statusCode).toBe(500);
    expect(response.json().error).toBe('handler_failed');
  });

  describe('beside the app', () => {
    it("leaves the app's own JSON parsing and content types untouched (the catch-all parser stays inside the plugin)", async () => {
      const created = await createApp({}, (fastify) => {
        fastify.post('/echo', async (request) => ({ got: request.body }));
      });
      app = created.app;
      const echoed = await send(app, '/echo', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      });
      expect(echoed.json()).toEqual({ got: { a: 1 } });
      const csv = await send(app, '/echo', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b' });
      expect(csv.statusCode).toBe(415);
      expect(csv.json().code).toBe('FST_ERR_CTP_INVALID_MEDIA_TYPE');
    });

    it('works when the app has replaced the JSON parser with its own', async () => {
      let appParserCalls = 0;
      const created = await createApp({}, (fastify) => {
        fastify.removeContentTypeParser('application/json');
        fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
          appParserCalls += 1;
          done(null, JSON.parse(body as string));
        });
      });
      app = created.app;
      expect((await post(app, notification())).statusCode).toBe(200);
      expect((await post(app, notification({ task_id: 'x' }), 'wrong')).statusCode).toBe(401);
      expect(appParserCalls).toBe(0);
      await created.handled(1);
    });

    it('mounts under the register prefix', async () => {
      app = Fastify();
      await app.register(piapiWebhookPlugin, {
        prefix: '/hooks',
        path: '/piapi',
        secret: SECRET,
        now: () => NOW_MS,
        onTask: () => undefined,
      });
      const response = await send(app, '/hooks/piapi', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-webhook-secret': SECRET },
        body: JSON.stringify(notification()),
      });
      expect(response.statusCode).toBe(200);
    });
  });

  describe('registration', () => {
    it.each<[string, Record<string, unknown>, string]>([
      ['an empty secret', { secret: '' }, 'secret'],
      ['a missing onTask', { onTask: undefined }, 'onTask'],
      ['an unknown option', { secrte: 'x' }, 'secrte'],
      ['a path without a leading slash', { path: 'hook' }, 'path'],
      ['an empty decorator name', { decorator: '' }, 'decorator'],
    ])('throws PiapiWebhookConfigError at register time for %s', async (_name, options, option) => {
      const fastify = Fastify();
      const registered = fastify.register(piapiWebhookPlugin, {
        secret: SECRET,
        onTask: () => undefined,
        ...options,
      } as PiapiWebhookPluginOptions);
      await expect(registered.ready()).rejects.toThrow(PiapiWebhookConfigError);
      await expect(registered.ready()).rejects.toMatchObject({ option });
      await fastify.close();
    });

    it('declares the Fastify version it supports, as fastify-plugin does, and Fastify 5 accepts it', async () => {
      expect((piapiWebhookPlugin as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')]).toEqual({
        fastify: '5.x',
        name: 'piapi-webhook',
      });
      app = (await createApp()).app;
      await expect(app.ready()).resolves.toBeDefined();
    });

    it('exposes the controls on the app, under a chosen name for a second registration', async () => {
      const created = await createApp({}, (fastify) => {
        fastify.register(piapiWebhookPlugin, {
          path: '/second',
          decorator: 'secondHook',
          secret: 'other',
          onTask: () => undefined,
        });
      });
      app = created.app;
      await app.ready();
      expect(typeof app.piapiWebhook.drain).toBe('function');
      expect(typeof (app as unknown as Record<string, { drain: unknown }>)['secondHook']?.drain).toBe('function');
      expect(app.piapiWebhook).not.toBe((app as unknown as Record<string, unknown>)['secondHook']);
    });
  });

  describe('closing', () => {
    it('app.close() waits for running handlers (it drains)', async () => {
      const held = gate();
      let finished = false;
      const created = await createApp({
        onTask: async () => {
          await held.promise;
          finished = true;
        },
      });
      app = created.app;
      expect((await post(app, notification())).statusCode).toBe(200);
      let closed = false;
      const closing = app.close().then(() => {
        closed = true;
      });
      app = undefined;
      // The drain is what holds close(): a new delivery is refused while it waits.
      await new Promise((resolve) => setImmediate(resolve));
      expect(closed).toBe(false);
      held.open();
      await closing;
      expect(finished).toBe(true);
    });

    it('refuses a wrong secret before its body arrives, with connection: close, and close() is not held by that client', async () => {
      app = (await createApp()).app;
      const { port } = new URL(await baseUrl(app));
      const socket = connect(Number(port), '127.0.0.1');
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      const closedByServer = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      // Announces 100 000 bytes and sends 10: the rest never comes.
      socket.write(
        `POST ${PATH} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\nx-webhook-secret: wrong\r\ncontent-length: 100000\r\n\r\n{"timesta`,
      );
      await closedByServer;
      expect(answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer.toLowerCase()).toContain('connection: close');
      expect(answer).toContain('"error":"invalid_secret"');
      await app.close();
      app = undefined;
    }, 30_000);

    it('close() does not hang on a keep-alive client', async () => {
      const created = await createApp();
      app = created.app;
      const { port } = new URL(await baseUrl(app));
      const agent = new Agent({ keepAlive: true });
      try {
        const status = await new Promise<number>((resolve, reject) => {
          const req = httpRequest(
            {
              agent,
              host: '127.0.0.1',
              port,
              method: 'POST',
              path: PATH,
              headers: { 'content-type': 'application/json', 'x-webhook-secret': SECRET },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end(JSON.stringify(notification()));
        });
        expect(status).toBe(200);
        await created.handled(1);
        // The idle keep-alive socket stays open in the agent; close() must still resolve.
        await app.close();
        app = undefined;
      } finally {
        agent.destroy();
      }
    }, 30_000);
  });
});
