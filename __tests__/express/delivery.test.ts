import request from 'supertest';
import type { Server } from 'node:http';
import { memoryStore, PiapiWebhookStoreError, type DedupeStore, type WebhookOutcome } from '../../lib/index.js';
import { createApp, expressVersions, gate, settle } from '../helpers/apps.js';
import { notification, SECRET } from '../helpers/notifications.js';
import { eventually as until } from '../helpers/wait.js';

function post(target: Parameters<typeof request>[0], body: unknown) {
  return request(target)
    .post('/piapi/webhook')
    .set('content-type', 'application/json')
    .set('x-webhook-secret', SECRET)
    .send(JSON.stringify(body));
}

const types = (outcomes: WebhookOutcome[]) => outcomes.map((outcome) => outcome.type);

describe.each(expressVersions)('delivery guarantees on %s', (_version, express) => {
  let server: Server | undefined;
  afterEach(() => {
    server?.close();
    server = undefined;
  });
  function listen(app: ReturnType<typeof createApp>['app']): Server {
    server = app.listen(0);
    return server;
  }

  describe("ack: 'after-handler'", () => {
    it('answers 200 only once the handler has finished', async () => {
      const hold = gate();
      let started = false;
      let finished = false;
      const { app } = createApp(express, {
        ack: 'after-handler',
        onTask: async () => {
          started = true;
          await hold.promise;
          finished = true;
        },
      });
      // Whether the handler had finished at the moment the answer arrived.
      const response = post(listen(app), notification()).then((res) => ({
        status: res.status,
        finishedFirst: finished,
      }));
      await until(() => started, 'the handler to start');
      hold.open();
      expect(await response).toEqual({ status: 200, finishedFirst: true });
    });

    it('answers 500 handler_failed when the handler fails, and processes PiAPI’s retry', async () => {
      let calls = 0;
      const errors: unknown[] = [];
      const { app, outcomes } = createApp(express, {
        ack: 'after-handler',
        onTask: () => {
          calls += 1;
          if (calls === 1) throw new Error('database down');
        },
        onError: (error) => errors.push(error),
      });
      const body = notification({ status: 'completed' });
      const first = await post(app, body);
      expect(first.status).toBe(500);
      expect(first.body).toEqual({ error: 'handler_failed', message: expect.any(String) });
      expect(errors).toEqual([new Error('database down')]);

      const retry = await post(app, body);
      expect(retry.status).toBe(200);
      expect(calls).toBe(2);
      expect((await post(app, body)).status).toBe(200);
      expect(calls).toBe(2);
      expect(types(outcomes)).toEqual(['rejected', 'accepted', 'duplicate']);
    });

    it.each([
      ['succeeds', false, 200],
      ['fails', true, 500],
    ])(
      'does not run the handler for a copy that arrives while the first %s; both get its answer',
      async (_name, fail, status) => {
        const hold = gate();
        let calls = 0;
        let bodiesRead = 0;
        // The middleware decides in the same turn as the body's 'end': once this listener, registered
        // first, has run and a turn has passed, the copy has met the first delivery in progress.
        const countBodies: import('express').RequestHandler = (req, _res, next) => {
          req.on('end', () => setImmediate(() => (bodiesRead += 1)));
          next();
        };
        const { app } = createApp(
          express,
          {
            ack: 'after-handler',
            onError: () => undefined,
            onTask: async () => {
              calls += 1;
              await hold.promise;
              if (fail) throw new Error('failed');
            },
          },
          { before: [countBodies] },
        );
        const target = listen(app);
        const body = notification();
        const first = post(target, body).then((res) => res);
        await until(() => calls === 1, 'the first handler to start');
        const copy = post(target, body).then((res) => res);
        await until(() => bodiesRead === 2, 'the copy to arrive');
        hold.open();
        expect([(await first).status, (await copy).status]).toEqual([status, status]);
        expect(calls).toBe(1);
      },
    );
  });

  describe('backpressure', () => {
    it('answers 503 with Retry-After when running and waiting handlers are full, without claiming the delivery', async () => {
      const hold = gate();
      let running = 0;
      let mostAtOnce = 0;
      const handled: string[] = [];
      const { app } = createApp(express, {
        maxConcurrency: 1,
        maxQueue: 1,
        onTask: async (task) => {
          running += 1;
          mostAtOnce = Math.max(mostAtOnce, running);
          await hold.promise;
          handled.push(task.task_id);
          running -= 1;
        },
      });
      expect((await post(app, notification({ task_id: 'a' }))).status).toBe(200);
      expect((await post(app, notification({ task_id: 'b' }))).status).toBe(200);
      const refused = await post(app, notification({ task_id: 'c' }));
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.body.error).toBe('overloaded');

      hold.open();
      await until(() => handled.length === 2);
      // Not claimed, so PiAPI's retry is handled rather than dropped as a duplicate.
      expect((await post(app, notification({ task_id: 'c' }))).status).toBe(200);
      await until(() => handled.length === 3);
      expect(handled).toEqual(['a', 'b', 'c']);
      expect(mostAtOnce).toBe(1);
    });
  });

  describe('drain()', () => {
    it('refuses new deliveries with 503 and resolves once accepted handlers have settled', async () => {
      const hold = gate();
      const handled: string[] = [];
      const { app, hook } = createApp(express, {
        onTask: async (task) => {
          await hold.promise;
          handled.push(task.task_id);
        },
      });
      expect((await post(app, notification({ task_id: 'accepted' }))).status).toBe(200);
      let drained = false;
      const report = hook.drain().then((result) => {
        drained = true;
        return result;
      });
      const refused = await post(app, notification({ task_id: 'late' }));
      expect(refused.status).toBe(503);
      expect(refused.body.error).toBe('draining');
      expect(refused.headers['retry-after']).toBe('5');
      await settle();
      expect(drained).toBe(false);

      hold.open();
      expect(await report).toEqual({ timedOut: false, pending: [] });
      expect(handled).toEqual(['accepted']);
    });

    it('reports what was still pending when the timeout passes', async () => {
      const stuck = gate();
      const { app, hook } = createApp(express, { onTask: () => stuck.promise });
      await post(app, notification({ task_id: 'stuck', status: 'processing' }));
      await settle();
      const report = await hook.drain(20);
      expect(report.timedOut).toBe(true);
      expect(report.pending).toEqual([
        { taskId: 'stuck', status: 'processing', deliveryKey: expect.stringMatching(/^[0-9a-f]{32}$/) },
      ]);
      // No handler may outlive the test: its timeout would log after the run.
      stuck.open();
      await hook.settled();
    });

    it('resolves at once when nothing is pending', async () => {
      const { hook } = createApp(express);
      expect(await hook.drain()).toEqual({ timedOut: false, pending: [] });
    });
  });

  describe('a failing dedupe store', () => {
    const failing: Array<[string, DedupeStore]> = [
      [
        'throws',
        {
          ...memoryStore(),
          claim: () => {
            throw new Error('ECONNREFUSED');
          },
        },
      ],
      ['rejects', { ...memoryStore(), claim: () => Promise.reject(new Error('ECONNREFUSED')) }],
      ['never answers', { ...memoryStore(), claim: () => new Promise(() => undefined) }],
    ];

    it.each(failing)('still handles the delivery when the store %s, and reports it', async (_name, store) => {
      const errors: unknown[] = [];
      const { app, received, outcomes } = createApp(express, {
        store,
        storeTimeoutMs: 50,
        onError: (error) => errors.push(error),
      });
      const response = await post(app, notification());
      await settle();
      expect(response.status).toBe(200);
      expect(received).toHaveLength(1);
      // The claim failed, then the store was skipped for the cooldown when the completion was recorded.
      expect(types(outcomes)).toEqual(['store_error', 'accepted', 'store_error']);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(PiapiWebhookStoreError);
      expect(errors[0]).toMatchObject({ operation: 'claim' });
    });

    it('still answers 500 when releasing a failed delivery fails, and reports both', async () => {
      const store: DedupeStore = { ...memoryStore(), release: () => Promise.reject(new Error('gone')) };
      const errors: unknown[] = [];
      const { app, outcomes } = createApp(express, {
        store,
        ack: 'after-handler',
        onTask: () => Promise.reject(new Error('handler broke')),
        onError: (error) => errors.push(error),
      });
      expect((await post(app, notification())).status).toBe(500);
      expect(types(outcomes)).toEqual(['store_error', 'rejected']);
      expect(errors.map((error) => (error as Error).message)).toEqual([
        'handler broke',
        expect.stringContaining('failed (release)'),
      ]);
    });
  });
});
