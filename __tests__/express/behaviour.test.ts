import { request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createApp, expressVersions, gate, logLine, settle } from '../helpers/apps.js';
import { loadFixture, notification, NOW_S, SECRET } from '../helpers/notifications.js';
import { eventually } from '../helpers/wait.js';

const PATH = '/piapi/webhook';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Whether the server ended the connection before the client did. */
  closedByServer: boolean;
}

/** The body of a chunked answer, or undefined until its last chunk has arrived. */
function dechunk(raw: string): string | undefined {
  let body = '';
  for (let at = 0; ;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd === -1) return undefined;
    const size = parseInt(raw.slice(at, lineEnd), 16);
    if (size === 0) return body;
    if (raw.length < lineEnd + 2 + size + 2) return undefined;
    body += raw.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/**
 * Writes one HTTP/1.1 request head (and `body`, which may be shorter than its
 * content-length, or empty) on a raw socket, and reads the answer. Resolves
 * when the server ends the connection, or, with `closeAfterAnswer`, once the
 * whole answer has arrived (the client then closes it).
 */
function rawRequest(
  server: Server,
  headers: Record<string, string>,
  body: string,
  { closeAfterAnswer = false } = {},
): Promise<RawAnswer> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const parse = (closedByServer: boolean): RawAnswer | undefined => {
      const split = received.indexOf('\r\n\r\n');
      if (split === -1) return undefined;
      const [statusLine = '', ...lines] = received.slice(0, split).split('\r\n');
      const parsedHeaders = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      const body =
        parsedHeaders['transfer-encoding'] === 'chunked'
          ? dechunk(received.slice(split + 4))
          : received.slice(split + 4);
      if (body === undefined || body.length < Number(parsedHeaders['content-length'] ?? 0)) return undefined;
      return {
        status: Number(statusLine.split(' ')[1]),
        headers: parsedHeaders,
        body: Buffer.from(body, 'latin1').toString('utf8'),
        closedByServer,
      };
    };
    // Latin-1: one character per byte, so that content-length and chunk sizes count characters.
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const answer = closeAfterAnswer ? parse(false) : undefined;
      if (answer !== undefined) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('end', () => {
      const answer = parse(true);
      socket.destroy();
      if (answer === undefined)
        reject(new Error(`the server closed the connection without a whole answer: ${JSON.stringify(received)}`));
      else resolve(answer);
    });
    socket.on('error', reject);
    const head = Object.entries({ host: `127.0.0.1:${port}`, ...headers }).map(
      ([name, value]) => `${name}: ${value}\r\n`,
    );
    socket.write(`POST ${PATH} HTTP/1.1\r\n${head.join('')}\r\n${body}`);
  });
}

describe.each(expressVersions)('piapiWebhook on %s', (_version, express) => {
  function post(app: Parameters<typeof request>[0], body: unknown, secret: string | null = SECRET) {
    const req = request(app).post(PATH).set('content-type', 'application/json');
    if (secret !== null) req.set('x-webhook-secret', secret);
    return req.send(typeof body === 'string' ? body : JSON.stringify(body));
  }

  describe('a valid delivery, the first time', () => {
    it('answers 200 { ok: true } and hands the task and its timestamp to onTask once', async () => {
      const { app, received } = createApp(express);
      const body = loadFixture('midjourney-imagine-completed');
      body.timestamp = NOW_S;

      const response = await post(app, body);
      await settle();

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.body).toEqual({ ok: true });
      expect(received).toHaveLength(1);
      expect(received[0]?.task.task_id).toBe(body.data.task_id);
      expect(received[0]?.task.output).toEqual(body.data.output);
      expect(received[0]?.context.timestamp).toBe(NOW_S);
    });

    it('answers before the handler has finished (a handler that never settles does not hold the answer)', async () => {
      let called = 0;
      const held = gate();
      const { app, hook } = createApp(express, {
        onTask: () => {
          called += 1;
          return held.promise;
        },
      });
      const response = await post(app, notification());
      expect(response.status).toBe(200);
      await settle();
      expect(called).toBe(1);
      // Let it go, so that no handler outlives the test (its timeout would log after the run).
      held.open();
      await hook.settled();
    });

    it('runs the handler only after the whole answer was handed to the socket', async () => {
      const order: string[] = [];
      // Records, as end() returns, whether every byte of the answer has left the process.
      const watchEnd: import('express').RequestHandler = (_req, res, next) => {
        const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
        res.end = ((...args: unknown[]) => {
          const result = end(...args);
          order.push(res.writableLength === 0 ? 'answer handed over' : 'answer buffered');
          return result;
        }) as typeof res.end;
        next();
      };
      const { app } = createApp(
        express,
        {
          onOutcome: (outcome) => order.push(outcome.type),
          onTask: () => {
            order.push('onTask');
          },
        },
        { before: [watchEnd] },
      );
      const server = app.listen(0);
      try {
        await post(server, notification());
        await settle();
      } finally {
        server.close();
      }
      expect(order).toEqual(['accepted', 'answer handed over', 'onTask']);
    });

    it('waits for the response to close when the answer could not leave at once', async () => {
      const order: string[] = [];
      // A socket that reports bytes still waiting, as one to a slow client does (an 11-byte answer
      // cannot fill a real socket's buffer, so the socket says so instead).
      const stall: import('express').RequestHandler = (req, res, next) => {
        Object.defineProperty(req.socket, 'writableLength', { get: () => 1, configurable: true });
        res.on('close', () => order.push('closed'));
        next();
      };
      const { app } = createApp(express, { onTask: () => void order.push('onTask') }, { before: [stall] });
      const server = app.listen(0);
      try {
        expect((await post(server, notification())).status).toBe(200);
        await settle();
      } finally {
        server.close();
      }
      expect(order).toEqual(['closed', 'onTask']);
    });

    it('hands the handler the lowercase status for a capitalised one', async () => {
      const { app, received } = createApp(express);
      await post(app, notification({ status: 'Completed' }));
      await settle();
      expect(received[0]?.task.status).toBe('completed');
    });

    it('removes the echoed secret before the handler and the outcome hook see the task', async () => {
      const { app, received, outcomes } = createApp(express);
      const body = loadFixture('kling-video-generation-completed');
      body.timestamp = NOW_S;
      await post(app, body);
      await settle();
      expect(received[0]?.task.config?.webhook_config).toEqual({ endpoint: 'https://hooks.example.com/piapi/webhook' });
      expect(JSON.stringify(received)).not.toContain(SECRET);
      expect(JSON.stringify(outcomes)).not.toContain(SECRET);
    });
  });

  describe('duplicates', () => {
    it('answers 200 to a retry of the same delivery and does not call the handler again', async () => {
      const { app, received, outcomes } = createApp(express);
      const body = notification();
      expect((await post(app, body)).status).toBe(200);
      const retry = await post(app, body);
      await settle();
      expect(retry.status).toBe(200);
      expect(retry.body).toEqual({ ok: true });
      expect(received).toHaveLength(1);
      expect(outcomes.map((outcome) => outcome.type)).toEqual(['accepted', 'duplicate']);
    });

    it('calls the handler exactly once for many concurrent copies', async () => {
      const { app, received } = createApp(express);
      const server = app.listen(0);
      try {
        const body = notification({ status: 'completed' });
        const responses = await Promise.all(Array.from({ length: 25 }, () => post(server, body)));
        await settle();
        expect(responses.map((response) => response.status)).toEqual(Array(25).fill(200));
        expect(received).toHaveLength(1);
      } finally {
        server.close();
      }
    });

    it('calls the handler for a new progress report of the same task (a new timestamp)', async () => {
      const { app, received } = createApp(express);
      await post(app, notification({ status: 'processing' }, NOW_S - 10));
      const progress = await post(app, notification({ status: 'processing' }, NOW_S - 5));
      await settle();
      expect(progress.status).toBe(200);
      expect(received.map(({ context }) => context.timestamp)).toEqual([NOW_S - 10, NOW_S - 5]);
    });

    it('walks a task through pending, processing and completed, each handled once', async () => {
      const { app, received } = createApp(express);
      for (const [status, at] of [
        ['pending', NOW_S - 30],
        ['processing', NOW_S - 20],
        ['processing', NOW_S - 20],
        ['completed', NOW_S - 10],
        ['completed', NOW_S - 10],
      ] as const) {
        expect((await post(app, notification({ status }, at))).status).toBe(200);
      }
      await settle();
      expect(received.map(({ task }) => task.status)).toEqual(['pending', 'processing', 'completed']);
    });

    it('does not call the handler again for a terminal status re-sent with a new timestamp', async () => {
      const { app, received } = createApp(express);
      await post(app, notification({ status: 'completed' }, NOW_S - 60));
      const resent = await post(app, notification({ status: 'Completed' }, NOW_S));
      const failedAfter = await post(app, notification({ status: 'failed' }, NOW_S + 1));
      await settle();
      expect([resent.status, failedAfter.status]).toEqual([200, 200]);
      expect(received).toHaveLength(1);
    });
  });

  describe('authentication', () => {
    it.each([
      ['missing', null, 'missing_secret'],
      ['empty', '', 'missing_secret'],
      ['wrong, same length', 's3cr3t-7f2c9b', 'invalid_secret'],
      ['wrong, shorter', 's3cr3t', 'invalid_secret'],
      ['wrong, longer', `${SECRET}-and-more`, 'invalid_secret'],
    ])('answers 401 when the secret is %s', async (_name, secret, reason) => {
      const { app, received } = createApp(express);
      const response = await post(app, notification(), secret);
      await settle();
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: reason, message: expect.any(String) });
      expect(received).toHaveLength(0);
    });

    it('refuses a wrong secret before parsing the body: even a malformed one gets 401', async () => {
      const { app } = createApp(express);
      const response = await post(app, '{not json', 'nope');
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('invalid_secret');
    });

    // The body of these requests is announced by content-length and never sent: an
    // answer can only come from a middleware that did not wait to read it.
    it.each([
      ['a wrong secret', { 'x-webhook-secret': 'nope' }, 401, 'invalid_secret'],
      ['a missing secret', {}, 401, 'missing_secret'],
      [
        'a body that is not JSON',
        { 'x-webhook-secret': SECRET, 'content-type': 'text/plain' },
        415,
        'unsupported_media_type',
      ],
      [
        'a content-length over the limit',
        { 'x-webhook-secret': SECRET, 'content-length': '4096' },
        413,
        'payload_too_large',
      ],
    ])(
      'refuses %s before reading the body: a body that never arrives still gets its answer, with connection: close, and the socket is closed',
      async (_name, headers, status, reason) => {
        const { app, received } = createApp(express, { limit: 1024 });
        const server = app.listen(0);
        try {
          const answer = await rawRequest(
            server,
            { 'content-type': 'application/json', 'content-length': '512', ...headers },
            '',
          );
          expect(answer.status).toBe(status);
          expect(JSON.parse(answer.body)).toEqual({ error: reason, message: expect.any(String) });
          expect(answer.headers['connection']).toBe('close');
          // rawRequest resolves on the server's FIN: the server, not the client, ended the connection.
          expect(answer.closedByServer).toBe(true);
          expect(received).toHaveLength(0);
        } finally {
          server.close();
        }
      },
      30_000,
    );

    it('keeps the connection open after a delivery whose body it read', async () => {
      const { app } = createApp(express);
      const server = app.listen(0);
      try {
        const body = JSON.stringify(notification());
        const headers = {
          'content-type': 'application/json',
          'x-webhook-secret': SECRET,
          'content-length': String(Buffer.byteLength(body)),
        };
        const answer = await rawRequest(server, headers, body, { closeAfterAnswer: true });
        expect(answer.status).toBe(200);
        expect(answer.headers['connection']).toBe('keep-alive');
        expect(answer.closedByServer).toBe(false);
      } finally {
        server.close();
      }
    }, 30_000);

    it('accepts any of several secrets during a rotation', async () => {
      const { app, received } = createApp(express, { secret: ['new-secret', SECRET] });
      expect((await post(app, notification({ task_id: 'old' }))).status).toBe(200);
      expect((await post(app, notification({ task_id: 'new' }), 'new-secret')).status).toBe(200);
      await settle();
      expect(received).toHaveLength(2);
    });
  });

  describe('timestamps', () => {
    it.each([
      ['older than maxSkewSeconds', NOW_S - 301],
      ['further ahead than maxSkewSeconds', NOW_S + 301],
    ])('answers 400 stale_timestamp for a timestamp %s', async (_name, timestamp) => {
      const { app, received } = createApp(express);
      const response = await post(app, notification({}, timestamp));
      await settle();
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('stale_timestamp');
      expect(received).toHaveLength(0);
    });

    it('honours a custom maxSkewSeconds', async () => {
      const { app } = createApp(express, { maxSkewSeconds: 10 });
      expect((await post(app, notification({}, NOW_S - 10))).status).toBe(200);
      expect((await post(app, notification({}, NOW_S - 11))).status).toBe(400);
    });
  });

  describe('bad bodies', () => {
    it.each([
      ['malformed JSON', '{"timestamp":', 'invalid_json'],
      ['an empty body', '', 'invalid_json'],
      ['JSON that is not an object', '[1,2,3]', 'invalid_payload'],
      [
        'a missing task_id',
        JSON.stringify({ timestamp: NOW_S, data: { model: 'm', task_type: 't', status: 'pending' } }),
        'invalid_payload',
      ],
      ['a mistyped timestamp', JSON.stringify({ ...notification(), timestamp: String(NOW_S) }), 'invalid_payload'],
      ['a mistyped status', JSON.stringify(notification({ status: 1 as unknown as string })), 'invalid_payload'],
    ])('answers 400 for %s', async (_name, body, reason) => {
      const { app, received } = createApp(express);
      const response = await post(app, body);
      await settle();
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: reason, message: expect.any(String) });
      expect(received).toHaveLength(0);
    });

    it('answers 413 for a body over the limit, announced by content-length', async () => {
      const { app, received } = createApp(express, { limit: 1024 });
      const response = await post(app, notification({ input: { prompt: 'x'.repeat(2048) } }));
      await settle();
      expect(response.status).toBe(413);
      expect(response.body.error).toBe('payload_too_large');
      expect(received).toHaveLength(0);
    });

    it('answers 413 for a chunked body that grows over the limit', async () => {
      const { app, received } = createApp(express, { limit: 1024 });
      const server = app.listen(0);
      try {
        const { port } = server.address() as { port: number };
        const status = await new Promise<number>((resolve, reject) => {
          const req = httpRequest(
            {
              port,
              method: 'POST',
              path: PATH,
              headers: { 'content-type': 'application/json', 'x-webhook-secret': SECRET },
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', reject);
          req.write(JSON.stringify(notification({ input: { prompt: 'x'.repeat(2048) } })));
          req.end();
        });
        expect(status).toBe(413);
        expect(received).toHaveLength(0);
      } finally {
        server.close();
      }
    });

    it.each([
      ['text/plain', 'text/plain'],
      ['form data', 'application/x-www-form-urlencoded'],
      ['no content-type', null],
    ])('answers 415 for %s', async (_name, contentType) => {
      const { app, received } = createApp(express);
      const req = request(app).post(PATH).set('x-webhook-secret', SECRET);
      if (contentType !== null) req.set('content-type', contentType);
      const response = await req.send(Buffer.from(JSON.stringify(notification())));
      await settle();
      expect(response.status).toBe(415);
      expect(response.body.error).toBe('unsupported_media_type');
      expect(received).toHaveLength(0);
    });

    it('accepts application/json with a charset parameter', async () => {
      const { app } = createApp(express);
      const response = await request(app)
        .post(PATH)
        .set('x-webhook-secret', SECRET)
        .set('content-type', 'application/json; charset=UTF-8')
        .send(JSON.stringify(notification()));
      expect(response.status).toBe(200);
    });
  });

  describe('methods', () => {
    it.each(['get', 'put', 'delete', 'patch'] as const)(
      'answers 405 with Allow: POST to %s when mounted with app.use',
      async (method) => {
        const { app, received } = createApp(express, {}, { mount: 'use' });
        const response = await request(app)[method](PATH).set('x-webhook-secret', SECRET);
        await settle();
        expect(response.status).toBe(405);
        expect(response.headers['allow']).toBe('POST');
        expect(response.body.error).toBe('method_not_allowed');
        expect(received).toHaveLength(0);
      },
    );

    it('accepts POST when mounted with app.use', async () => {
      const { app, received } = createApp(express, {}, { mount: 'use' });
      expect((await post(app, notification())).status).toBe(200);
      await settle();
      expect(received).toHaveLength(1);
    });
  });

  describe('beside other body parsers', () => {
    it.each([
      ['express.json()', () => express.json()],
      ['express.raw()', () => express.raw({ type: '*/*' })],
      ['express.text()', () => express.text({ type: '*/*' })],
    ])('works after an app-wide %s, and still refuses what it should', async (_name, parser) => {
      const { app, received } = createApp(express, {}, { before: [parser()] });
      expect((await post(app, notification())).status).toBe(200);
      expect((await post(app, notification())).status).toBe(200);
      expect((await post(app, notification(), 'wrong')).status).toBe(401);
      expect((await post(app, notification({}, NOW_S - 1000))).status).toBe(400);
      expect((await post(app, notification({ task_id: '' }))).status).toBe(400);
      await settle();
      expect(received).toHaveLength(1);
      expect(JSON.stringify(received)).not.toContain(SECRET);
    });

    it('answers 500 body_unavailable, instead of hanging, when something else drained the stream', async () => {
      const drain: import('express').RequestHandler = (req, _res, next) => {
        req.resume();
        req.on('end', () => next());
      };
      const { app, received } = createApp(express, {}, { before: [drain] });
      const response = await post(app, notification());
      expect(response.status).toBe(500);
      expect(response.body.error).toBe('body_unavailable');
      expect(received).toHaveLength(0);
    });
  });

  describe('handler failures', () => {
    let unhandled: unknown[];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    beforeEach(() => {
      unhandled = [];
      process.on('unhandledRejection', onUnhandled);
    });
    afterEach(() => {
      process.off('unhandledRejection', onUnhandled);
    });

    it.each([
      [
        'throws',
        () => {
          throw new Error('sync boom');
        },
      ],
      [
        'rejects',
        async () => {
          throw new Error('async boom');
        },
      ],
    ])('sends the error to onError with the task when the handler %s, and keeps serving', async (_name, onTask) => {
      const errors: Array<[unknown, string]> = [];
      const { app } = createApp(express, {
        onTask,
        onError: (error, task) => errors.push([error, task!.task_id]),
      });
      expect((await post(app, notification({ task_id: 'first' }))).status).toBe(200);
      expect((await post(app, notification({ task_id: 'second' }))).status).toBe(200);
      await settle();
      await settle();
      expect(errors.map(([error, id]) => [(error as Error).message, id])).toEqual([
        [expect.stringContaining('boom'), 'first'],
        [expect.stringContaining('boom'), 'second'],
      ]);
      expect(unhandled).toEqual([]);
    });

    it('logs with console.error by default, and survives an onError that itself fails', async () => {
      const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const { app: defaults, hook: defaultHook } = createApp(express, {
          onTask: () => Promise.reject(new Error('boom')),
        });
        await post(defaults, notification({ task_id: 'default-logged' }));
        const { app: failing, hook } = createApp(express, {
          onTask: () => Promise.reject(new Error('boom')),
          // onError is typed to return nothing, but a JavaScript one may return a rejected promise: it must not crash.
          // eslint-disable-next-line @typescript-eslint/no-misused-promises
          onError: async () => {
            throw new Error('onError broke');
          },
        });
        await post(failing, notification());
        expect((await post(failing, notification({ task_id: 'next' }))).status).toBe(200);
        await Promise.all([defaultHook.settled(), hook.settled()]);
        const lines = logged.mock.calls.map(logLine);
        expect(lines.some((line) => line.includes('default-logged') && line.includes('boom'))).toBe(true);
        expect(lines.some((line) => line.includes('onError broke'))).toBe(true);
        expect(lines.join('\n')).not.toContain(SECRET);
        expect(unhandled).toEqual([]);
      } finally {
        logged.mockRestore();
      }
    });

    it('still runs the handler of a claimed delivery when its answer cannot be written', async () => {
      const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        // A mistake upstream: something answers, then passes the request on.
        const answeredEarly: import('express').RequestHandler = (_req, res, next) => {
          res.writeHead(202).end();
          next();
        };
        const { app, received } = createApp(express, {}, { before: [express.json(), answeredEarly] });
        const server = app.listen(0);
        try {
          await post(server, notification()).catch(() => undefined);
          await eventually(() => received.length === 1, 'the handler to run');
        } finally {
          server.close();
        }
        expect(received).toHaveLength(1);
        expect(logged.mock.calls.some((call) => logLine(call).includes('could not answer'))).toBe(true);
      } finally {
        logged.mockRestore();
      }
    });

    it('survives an outcome hook that throws', async () => {
      const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const { app, received } = createApp(express, {
          onOutcome: () => {
            throw new Error('metrics down');
          },
        });
        expect((await post(app, notification())).status).toBe(200);
        await settle();
        expect(received).toHaveLength(1);
        expect(logged).toHaveBeenCalled();
      } finally {
        logged.mockRestore();
      }
    });
  });

  describe('the outcome hook', () => {
    it('sees every outcome with its reason, and never the secret', async () => {
      const { app, outcomes } = createApp(express);
      await post(app, notification());
      await post(app, notification());
      await post(app, notification(), 'wrong-secret-value');
      await post(app, '{');
      expect(
        outcomes.map((outcome) => [
          outcome.type,
          'statusCode' in outcome && outcome.statusCode,
          'reason' in outcome ? outcome.reason : undefined,
        ]),
      ).toEqual([
        ['accepted', 200, undefined],
        ['duplicate', 200, undefined],
        ['rejected', 401, 'invalid_secret'],
        ['rejected', 400, 'invalid_json'],
      ]);
      const text = JSON.stringify(outcomes);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('wrong-secret-value');
    });
  });
});
