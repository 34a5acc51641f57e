import { gate } from '../helpers/apps.js';
import { loadFixture, notification, NOW_S, SECRET } from '../helpers/notifications.js';
import { bodyOf, createHandler, ExecutionContextLike, meteredStream, post, streamingPost, URL } from './helpers.js';

describe('piapiWebhookHandler (Fetch)', () => {
  describe('a valid delivery, the first time', () => {
    it('answers 200 { ok: true } and hands the task and its timestamp to onTask once', async () => {
      const { handle, received, handledTimes } = createHandler();
      const body = loadFixture('midjourney-imagine-completed');
      body.timestamp = NOW_S;

      const response = await handle(post(body));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await response.json()).toEqual({ ok: true });
      await handledTimes(1);
      expect(received).toHaveLength(1);
      expect(received[0]?.task.task_id).toBe(body.data.task_id);
      expect(received[0]?.context.timestamp).toBe(NOW_S);
      expect(JSON.stringify(received)).not.toContain(SECRET);
    });

    it('without waitUntil, answers first and runs onTask in the background', async () => {
      const { handle, received, handledTimes } = createHandler();
      const response = await handle(post(notification()));
      expect(response.status).toBe(200);
      expect(received).toHaveLength(0);
      await handledTimes(1);
    });

    it('accepts a drifted optional field and reports it as a warning on the accepted outcome', async () => {
      const { handle, outcomes, handledTimes } = createHandler();
      const response = await handle(
        post(notification({ meta: { usage: { type: 'point', frozen: '0' as unknown as number, consume: 0 } } })),
      );
      expect(response.status).toBe(200);
      await handledTimes(1);
      expect(outcomes).toEqual([
        expect.objectContaining({ type: 'accepted', warnings: ['data.meta.usage.frozen must be number'] }),
      ]);
    });

    it('leaves warnings out of the accepted outcome when nothing drifted', async () => {
      const { handle, outcomes, handledTimes } = createHandler();
      await handle(post(notification()));
      await handledTimes(1);
      expect(outcomes[0]).not.toHaveProperty('warnings');
    });
  });

  describe('waitUntil', () => {
    it('receives the post-answer promise, called as a method, and onTask runs inside it', async () => {
      const held = gate();
      let finished = false;
      const { handle, received } = createHandler({
        onTask: async () => {
          await held.promise;
          finished = true;
        },
      });
      const context = new ExecutionContextLike();
      const response = await handle(post(notification()), context);
      expect(response.status).toBe(200);
      expect(context.promises).toHaveLength(1);
      let settled = false;
      void context.promises[0]?.then(() => (settled = true));
      held.open();
      await context.promises[0];
      expect(finished).toBe(true);
      expect(settled).toBe(true);
      expect(received).toHaveLength(0); // the custom onTask replaced the recording one
    });

    it('resolves the waitUntil promise (never rejects) when onTask fails, and reports the error', async () => {
      const errors: unknown[] = [];
      const { handle } = createHandler({
        onTask: () => Promise.reject(new Error('boom')),
        onError: (error) => void errors.push(error),
      });
      const context = new ExecutionContextLike();
      await handle(post(notification()), context);
      await expect(context.promises[0]).resolves.toBeUndefined();
      expect(errors).toEqual([expect.objectContaining({ message: 'boom' })]);
    });

    it.each([
      [
        'a duplicate',
        (handle: ReturnType<typeof createHandler>['handle']) =>
          handle(post(notification())).then(() => post(notification())),
      ],
      ['a wrong secret', async () => post(notification(), 'wrong')],
      ['a bad body', async () => post('{')],
    ])('is not called for %s', async (_name, prepare) => {
      const { handle } = createHandler();
      const request = await prepare(handle);
      const context = new ExecutionContextLike();
      await handle(request, context);
      expect(context.promises).toHaveLength(0);
    });

    it('still runs onTask, in the background, when waitUntil throws, and warns', async () => {
      const logged = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      try {
        const { handle, handledTimes } = createHandler();
        const throwing = {
          waitUntil() {
            throw new Error('after() called outside a request scope');
          },
        };
        expect((await handle(post(notification()), throwing)).status).toBe(200);
        await handledTimes(1);
        expect(logged).toHaveBeenCalledWith({ err: expect.any(Error) }, expect.stringContaining('waitUntil threw'));
      } finally {
        logged.mockRestore();
      }
    });
  });

  describe('duplicates', () => {
    it('answers 200 to a retry of the same delivery and does not call the handler again', async () => {
      const { handle, received, outcomes, handledTimes } = createHandler();
      expect((await handle(post(notification()))).status).toBe(200);
      const retry = await handle(post(notification()));
      expect(retry.status).toBe(200);
      expect(await retry.json()).toEqual({ ok: true });
      await handledTimes(1);
      expect(received).toHaveLength(1);
      expect(outcomes.map((outcome) => outcome.type)).toEqual(['accepted', 'duplicate']);
    });

    it('calls the handler exactly once for many concurrent copies', async () => {
      const { handle, received, handledTimes } = createHandler();
      const responses = await Promise.all(
        Array.from({ length: 25 }, () => handle(post(notification({ status: 'completed' })))),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(25).fill(200));
      await handledTimes(1);
      expect(received).toHaveLength(1);
    });
  });

  describe('authentication', () => {
    it.each([
      ['missing', null, 'missing_secret'],
      ['empty', '', 'missing_secret'],
      ['wrong, same length', 's3cr3t-7f2c9b', 'invalid_secret'],
      ['wrong, longer', `${SECRET}-and-more`, 'invalid_secret'],
    ])('answers 401 when the secret is %s', async (_name, secret, reason) => {
      const { handle, received } = createHandler();
      const response = await handle(post(notification(), secret));
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: reason, message: expect.any(String) });
      expect(received).toHaveLength(0);
    });

    it('refuses a wrong secret without reading a byte of the body, and cancels it', async () => {
      const { handle } = createHandler();
      const { stream, meter } = meteredStream(1, 16);
      const response = await handle(streamingPost(stream, 'wrong'));
      expect(response.status).toBe(401);
      expect(meter.pulled).toBe(0);
      expect(meter.cancelled).toBe(true);
    });

    it('answers 401 for a request whose body never arrives', async () => {
      const { handle } = createHandler();
      const never = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => undefined) }, { highWaterMark: 0 });
      expect((await handle(streamingPost(never, 'wrong'))).status).toBe(401);
    });

    it('accepts any of several secrets during a rotation', async () => {
      const { handle, handledTimes } = createHandler({ secret: ['new-secret', SECRET] });
      expect((await handle(post(notification({ task_id: 'old' })))).status).toBe(200);
      expect((await handle(post(notification({ task_id: 'new' }), 'new-secret'))).status).toBe(200);
      await handledTimes(2);
    });
  });

  describe('bad bodies', () => {
    it.each([
      ['malformed JSON', '{"timestamp":', 'invalid_json'],
      ['an empty body', '', 'invalid_json'],
      ['JSON that is not an object', '[1,2,3]', 'invalid_payload'],
      ['JSON null', 'null', 'invalid_payload'],
      [
        'a missing task_id',
        JSON.stringify({ timestamp: NOW_S, data: { model: 'm', task_type: 't', status: 'pending' } }),
        'invalid_payload',
      ],
      ['a mistyped timestamp', JSON.stringify({ ...notification(), timestamp: String(NOW_S) }), 'invalid_payload'],
      ['a stale timestamp', JSON.stringify(notification({}, NOW_S - 301)), 'stale_timestamp'],
    ])('answers 400 for %s', async (_name, body, reason) => {
      const { handle, received } = createHandler();
      const response = await handle(post(body));
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: reason, message: expect.any(String) });
      expect(received).toHaveLength(0);
    });

    it.each([
      ['text/plain', 'text/plain'],
      ['form data', 'application/x-www-form-urlencoded'],
    ])('answers 415 for %s, without reading the body', async (_name, contentType) => {
      const { handle } = createHandler();
      const { stream, meter } = meteredStream(1, 16);
      const response = await handle(streamingPost(stream, SECRET, { 'content-type': contentType }));
      expect(response.status).toBe(415);
      expect((await bodyOf(response)).error).toBe('unsupported_media_type');
      expect(meter.pulled).toBe(0);
    });

    it('answers 413 from the content-length alone, without reading the body', async () => {
      const { handle } = createHandler({ limit: 1024 });
      const { stream, meter } = meteredStream(1, 2048);
      const response = await handle(streamingPost(stream, SECRET, { 'content-length': '2048' }));
      expect(response.status).toBe(413);
      expect(meter.pulled).toBe(0);
      expect(meter.cancelled).toBe(true);
    });

    it('answers 413 for a streamed body of 1 GB after reading little more than the limit, and cancels the rest', async () => {
      const chunkSize = 64 * 1024;
      const { handle, received } = createHandler({ limit: '1mb' });
      const { stream, meter } = meteredStream(
        (1024 * 1024 * 1024) / chunkSize,
        chunkSize,
        new TextEncoder().encode('{"timestamp":'),
      );
      const response = await handle(streamingPost(stream));
      expect(response.status).toBe(413);
      expect((await bodyOf(response)).error).toBe('payload_too_large');
      expect(meter.bytes).toBeLessThanOrEqual(1024 * 1024 + 2 * chunkSize);
      expect(meter.cancelled).toBe(true);
      expect(received).toHaveLength(0);
    });

    it('answers 500 body_unavailable when the body was already read', async () => {
      const { handle } = createHandler();
      const request = post(notification());
      await request.text();
      const response = await handle(request);
      expect(response.status).toBe(500);
      expect((await bodyOf(response)).error).toBe('body_unavailable');
    });
  });

  describe('methods', () => {
    it('answers 405 with Allow: POST to a GET', async () => {
      const { handle } = createHandler();
      const response = await handle(new Request(URL, { headers: { 'x-webhook-secret': SECRET } }));
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
    });
  });

  describe("ack: 'after-handler'", () => {
    it('answers 200 once onTask has finished, and needs no waitUntil', async () => {
      const order: string[] = [];
      const { handle } = createHandler({ ack: 'after-handler', onTask: () => void order.push('onTask') });
      const context = new ExecutionContextLike();
      const response = await handle(post(notification()), context);
      order.push(`answered ${response.status}`);
      expect(order).toEqual(['onTask', 'answered 200']);
      expect(context.promises).toHaveLength(0);
    });

    it('answers 500 handler_failed when onTask fails, so that PiAPI retries', async () => {
      const { handle } = createHandler({
        ack: 'after-handler',
        onTask: () => Promise.reject(new Error('boom')),
        onError: () => undefined,
      });
      const response = await handle(post(notification()));
      expect(response.status).toBe(500);
      expect((await bodyOf(response)).error).toBe('handler_failed');
    });
  });

  describe('controls', () => {
    it('has the same methods as the Express middleware: drain() waits for handlers, then new deliveries get 503', async () => {
      const held = gate();
      const { handle } = createHandler({ onTask: () => held.promise });
      await handle(post(notification()));
      const drained = handle.drain(60_000);
      const refused = await handle(post(notification({ task_id: 'later' })));
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      held.open();
      await expect(drained).resolves.toEqual({ timedOut: false, pending: [] });
    });
  });
});
