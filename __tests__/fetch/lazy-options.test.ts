/**
 * Issue 18, item 15: `piapiWebhookHandler` and `piapiWebhook` also take a
 * function that returns the options, resolved once, on the first request, so
 * that `next build` can evaluate a route module without the secret. A config
 * error is then answered `500 config_error` and reported to `onError`, and
 * `ready()` throws it for those who want to fail fast.
 */
import express from 'express';
import request from 'supertest';
import { piapiWebhook, PiapiWebhookConfigError, type PiapiTask, type PiapiWebhookOptions } from '../../lib/index.js';
import { piapiWebhookHandler } from '../../lib/fetch/index.js';
import { notification, NOW_MS, SECRET } from '../helpers/notifications.js';
import { bodyOf, post } from './helpers.js';

/** Options as a function, counting its calls; `secret` undefined stands for an unset environment variable. */
function lazy(secret: string | undefined, extra: Partial<PiapiWebhookOptions> = {}) {
  const calls = { count: 0 };
  const handled: PiapiTask[] = [];
  const errors: unknown[] = [];
  const options = (): PiapiWebhookOptions => {
    calls.count += 1;
    return {
      secret: secret as string,
      now: () => NOW_MS,
      onTask: (task) => void handled.push(task),
      onError: (error) => void errors.push(error),
      ack: 'after-handler',
      ...extra,
    };
  };
  return { options, calls, handled, errors };
}

describe('piapiWebhookHandler(() => options)', () => {
  it('reads the options on the first request, once, and then works as with an object', async () => {
    const { options, calls, handled } = lazy(SECRET);
    const handle = piapiWebhookHandler(options);
    expect(calls.count).toBe(0);
    expect((await handle(post(notification({ task_id: 'a' })))).status).toBe(200);
    expect((await handle(post(notification({ task_id: 'b' })))).status).toBe(200);
    expect((await handle(post(notification({ task_id: 'c' }), 'wrong'))).status).toBe(401);
    expect(calls.count).toBe(1);
    expect(handled.map((task) => task.task_id)).toEqual(['a', 'b']);
  });

  it('answers 500 config_error when the options are wrong, reports the error to onError once, and reads them once', async () => {
    const { options, calls, handled, errors } = lazy(undefined);
    const handle = piapiWebhookHandler(options);
    for (const taskId of ['a', 'b']) {
      const response = await handle(post(notification({ task_id: taskId })));
      expect(response.status).toBe(500);
      expect((await bodyOf(response)).error).toBe('config_error');
    }
    expect(calls.count).toBe(1);
    expect(handled).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(PiapiWebhookConfigError);
    expect((errors[0] as PiapiWebhookConfigError).option).toBe('secret');
  });

  it('logs a function that throws (no onError to call), and answers 500 config_error', async () => {
    const logged: unknown[][] = [];
    const error = jest.spyOn(console, 'error').mockImplementation((...args) => void logged.push(args));
    try {
      const handle = piapiWebhookHandler(() => {
        throw new Error('PIAPI_WEBHOOK_SECRET is not set');
      });
      const response = await handle(post(notification()));
      expect(response.status).toBe(500);
      expect((await bodyOf(response)).error).toBe('config_error');
      expect(logged).toHaveLength(1);
      expect((logged[0]![0] as { err: Error }).err.message).toBe('PIAPI_WEBHOOK_SECRET is not set');
    } finally {
      error.mockRestore();
    }
  });

  it('ready() resolves the options at once: it throws their config error, again on each call', () => {
    const { options, calls, errors } = lazy(undefined);
    const handle = piapiWebhookHandler(options);
    expect(() => handle.ready()).toThrow(PiapiWebhookConfigError);
    expect(() => handle.ready()).toThrow('option "secret"');
    expect(calls.count).toBe(1);
    expect(errors).toHaveLength(1);
  });

  it('ready() passes for good options, and for options given as an object', () => {
    const { options, calls } = lazy(SECRET);
    const handle = piapiWebhookHandler(options);
    expect(() => handle.ready()).not.toThrow();
    expect(calls.count).toBe(1);
    expect(() => piapiWebhookHandler({ secret: SECRET, onTask: () => undefined }).ready()).not.toThrow();
  });

  it('still builds at once, and throws, when the options are an object', () => {
    expect(() => piapiWebhookHandler({ secret: undefined as unknown as string, onTask: () => undefined })).toThrow(
      PiapiWebhookConfigError,
    );
  });

  it('drain() before the first request: later deliveries are refused 503 draining', async () => {
    const { options, handled } = lazy(SECRET);
    const handle = piapiWebhookHandler(options);
    expect(await handle.drain()).toEqual({ timedOut: false, pending: [] });
    const response = await handle(post(notification()));
    expect(response.status).toBe(503);
    expect((await bodyOf(response)).error).toBe('draining');
    expect(handled).toEqual([]);
  });

  it('deliver() and the other methods resolve the options first', async () => {
    const { options, calls, handled } = lazy(SECRET);
    const handle = piapiWebhookHandler(options);
    expect(await handle.deliver(notification({ task_id: 'queued' }))).toMatchObject({ status: 'handled' });
    expect(calls.count).toBe(1);
    expect(handled.map((task) => task.task_id)).toEqual(['queued']);
    await expect(piapiWebhookHandler(lazy(undefined).options).deliver(notification())).rejects.toThrow(
      PiapiWebhookConfigError,
    );
  });
});

describe('piapiWebhook(() => options) (Express)', () => {
  it('reads the options on the first request, and answers 500 config_error when they are wrong', async () => {
    const good = lazy(SECRET);
    const bad = lazy(undefined);
    const app = express();
    app.post('/good', piapiWebhook(good.options));
    const hook = piapiWebhook(bad.options);
    app.post('/bad', hook);
    expect(good.calls.count + bad.calls.count).toBe(0);

    await request(app).post('/good').set('x-webhook-secret', SECRET).send(notification()).expect(200);
    const refused = await request(app).post('/bad').set('x-webhook-secret', SECRET).send(notification());
    expect([refused.status, refused.body.error]).toEqual([500, 'config_error']);
    expect(good.handled).toHaveLength(1);
    expect(bad.errors).toHaveLength(1);
    expect(() => hook.ready()).toThrow(PiapiWebhookConfigError);
  });
});
