/**
 * Defects found by hostile tests (issue 11) and the lease semantics of issue 9,
 * through real Express apps.
 */
import request from 'supertest';
import express from 'express';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  memoryStore,
  piapiWebhook,
  PiapiWebhookHandlerTimeoutError,
  PiapiWebhookStoreError,
  type DedupeStore,
  type PiapiWebhookOptions,
  type WebhookOutcome,
} from '../../lib/index.js';
import { deliveryKey } from '../../lib/core/dedupe.js';
import { nodePlatform } from '../../lib/node/platform.js';
import { gate } from '../helpers/apps.js';
import { notification, NOW_MS, SECRET } from '../helpers/notifications.js';
import { eventually } from '../helpers/wait.js';

function appWith(options: Partial<PiapiWebhookOptions>) {
  const outcomes: WebhookOutcome[] = [];
  const errors: unknown[] = [];
  const hook = piapiWebhook({
    secret: SECRET,
    now: () => NOW_MS,
    onTask: () => undefined,
    onOutcome: (outcome) => void outcomes.push(outcome),
    onError: (error) => void errors.push(error),
    ...options,
  });
  const app = express();
  app.post('/hook', hook);
  return { app, hook, outcomes, errors };
}

function post(app: express.Express, body: unknown) {
  return request(app)
    .post('/hook')
    .set('content-type', 'application/json')
    .set('x-webhook-secret', SECRET)
    .send(JSON.stringify(body));
}

describe('handlers that misbehave', () => {
  it("frees the place of a handler that never settles after handlerTimeoutMs, tells onError, and answers 500 under ack 'after-handler'", async () => {
    const { app, errors } = appWith({
      ack: 'after-handler',
      maxConcurrency: 1,
      maxQueue: 0,
      handlerTimeoutMs: 50,
      onTask: () => new Promise(() => undefined),
    });
    const first = await post(app, notification({ task_id: 'hung' }));
    expect([first.status, first.body.error]).toEqual([500, 'handler_failed']);
    expect(errors[0]).toBeInstanceOf(PiapiWebhookHandlerTimeoutError);
    // The only place is free again: the next delivery is not refused as overloaded.
    expect((await post(app, notification({ task_id: 'next' }))).status).toBe(500);
  });

  it("lets PiAPI's retry run a timed-out delivery again, as attempt 2", async () => {
    const attempts: number[] = [];
    const { app } = appWith({
      ack: 'after-handler',
      handlerTimeoutMs: 50,
      onTask: (_task, context) => {
        attempts.push(context.attempt);
        return context.attempt === 1 ? new Promise(() => undefined) : undefined;
      },
    });
    expect((await post(app, notification())).status).toBe(500);
    expect((await post(app, notification())).status).toBe(200);
    expect(attempts).toEqual([1, 2]);
  });

  it('counts a result whose then getter throws as a failure, and gives the place back', async () => {
    const hostile = {
      get then(): never {
        throw new Error('then getter exploded');
      },
    };
    const { app, hook, errors } = appWith({ maxConcurrency: 1, maxQueue: 0, onTask: () => hostile });
    expect((await post(app, notification({ task_id: 'a' }))).status).toBe(200);
    await hook.settled();
    expect(errors.map((error) => (error as Error).message)).toEqual(['then getter exploded']);
    expect((await post(app, notification({ task_id: 'b' }))).status).toBe(200);
  });
});

describe('drain() with large timeouts', () => {
  it.each([Infinity, 2 ** 31])('does not resolve early for drain(%p) while a handler runs', async (timeoutMs) => {
    const hold = gate();
    const { app, hook } = appWith({ onTask: () => hold.promise });
    await post(app, notification());
    let resolved = false;
    const drained = hook.drain(timeoutMs).then((report) => {
      resolved = true;
      return report;
    });
    // Past the overflowed timer's "1 ms": a turn of the timer phase, then check.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(resolved).toBe(false);
    hold.open();
    expect(await drained).toEqual({ timedOut: false, pending: [] });
  });
});

describe('settled()', () => {
  it('resolves once every handler accepted so far has finished, without draining', async () => {
    const finished: string[] = [];
    const { app, hook } = appWith({
      onTask: async (task) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        finished.push(task.task_id);
      },
    });
    await post(app, notification({ task_id: 'a' }));
    await post(app, notification({ task_id: 'b' }));
    await hook.settled();
    expect(finished.sort()).toEqual(['a', 'b']);
    expect((await post(app, notification({ task_id: 'c' }))).status).toBe(200);
  });
});

describe('the outcome header', () => {
  it('says accepted or duplicate to a caller with the secret, and nothing to one without', async () => {
    const { app } = appWith({});
    const body = notification();
    expect((await post(app, body)).headers['x-piapi-webhook-outcome']).toBe('accepted');
    expect((await post(app, body)).headers['x-piapi-webhook-outcome']).toBe('duplicate');
    const stranger = await request(app)
      .post('/hook')
      .set('content-type', 'application/json')
      .set('x-webhook-secret', 'wrong')
      .send(JSON.stringify(body));
    expect([stranger.status, stranger.headers['x-piapi-webhook-outcome']]).toEqual([401, undefined]);
  });
});

describe('a slow body', () => {
  it('is answered 408 body_timeout, and the connection closed, after bodyTimeoutMs', async () => {
    const { app, outcomes } = appWith({ bodyTimeoutMs: 100 });
    const server = app.listen(0);
    try {
      const { port } = server.address() as AddressInfo;
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString()));
      const closed = new Promise((resolve) => socket.on('close', resolve));
      // Valid headers, then one byte of a 100-byte body, and nothing more.
      socket.write(
        `POST /hook HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-webhook-secret: ${SECRET}\r\ncontent-length: 100\r\n\r\n{`,
      );
      await closed;
      expect(received).toMatch(/^HTTP\/1\.1 408/);
      expect(received.toLowerCase()).toContain('connection: close');
      expect(received).toContain('"error":"body_timeout"');
      expect(outcomes).toEqual([
        expect.objectContaining({ type: 'rejected', reason: 'body_timeout', statusCode: 408 }),
      ]);
    } finally {
      server.close();
    }
  });
});

describe('a store outage', () => {
  it('skips the store for storeCooldownMs after a failure instead of making every delivery wait its timeout', async () => {
    let calls = 0;
    const hanging: DedupeStore = { ...memoryStore(), claim: () => ((calls += 1), new Promise(() => undefined)) };
    const { app, outcomes, errors } = appWith({ store: hanging, storeTimeoutMs: 100, storeCooldownMs: 60_000 });
    for (const id of ['a', 'b', 'c']) expect((await post(app, notification({ task_id: id }))).status).toBe(200);
    // Only the first delivery asked the store (and waited); the next two skipped it.
    expect(calls).toBe(1);
    const skipped = outcomes.flatMap((outcome) => (outcome.type === 'store_error' ? [outcome.operation] : []));
    expect(skipped.filter((operation) => operation === 'claim')).toHaveLength(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(PiapiWebhookStoreError);
  });
});

describe('the logger option', () => {
  it('receives what the middleware logs, with the default onError naming a store failure as such', async () => {
    const lines: string[] = [];
    const logger = {
      warn: (...args: unknown[]) => void lines.push(`warn ${args.map(String).join(' ')}`),
      error: (...args: unknown[]) =>
        void lines.push(
          `error ${args.map((arg) => (typeof arg === 'object' && arg !== null && 'err' in arg ? String(arg.err) : String(arg))).join(' ')}`,
        ),
    };
    const failing: DedupeStore = { ...memoryStore(), claim: () => Promise.reject(new Error('ECONNREFUSED')) };
    const hook = piapiWebhook({
      secret: SECRET,
      now: () => NOW_MS,
      store: failing,
      logger,
      onTask: () => Promise.reject(new Error('handler broke')),
    });
    const app = express().post('/hook', hook);
    expect((await post(app, notification({ task_id: 'x' }))).status).toBe(200);
    await hook.settled();
    expect(lines.some((line) => line.includes('dedupe store failed') && line.includes('ECONNREFUSED'))).toBe(true);
    expect(lines.some((line) => line.includes('onTask failed for task x') && line.includes('handler broke'))).toBe(
      true,
    );
    expect(lines.some((line) => line.includes('dedupe store failed') && line.includes('onTask'))).toBe(false);
    expect(lines.join('\n')).not.toContain(SECRET);
  });
});

describe('leases across instances sharing a store', () => {
  it("answers a copy 503 in_progress with Retry-After while another instance handles it, under ack 'after-handler'", async () => {
    const store = memoryStore({ now: () => NOW_MS });
    const hold = gate();
    const first = appWith({ store, ack: 'after-handler', onTask: () => hold.promise });
    const second = appWith({ store, ack: 'after-handler' });
    const body = notification({ status: 'completed' });
    const answered = post(first.app, body).then((res) => res.status);
    await eventually(() => first.outcomes.length > 0 || store.size > 0, 'the first instance to claim');
    const copy = await post(second.app, body);
    expect([copy.status, copy.body.error, copy.headers['retry-after']]).toEqual([503, 'in_progress', '5']);
    hold.open();
    expect(await answered).toBe(200);
    expect((await post(second.app, body)).headers['x-piapi-webhook-outcome']).toBe('duplicate');
  });

  it("lets another instance take over a dead owner's delivery once its lease expires", async () => {
    let now = NOW_MS;
    const store = memoryStore({ now: () => now });
    const body = notification({ status: 'completed' });
    // A dead instance claimed the delivery with a 2 s lease, then stopped renewing it.
    store.claim(deliveryKey(body.data, body.timestamp, nodePlatform), 'dead-owner', 2_000);
    const survivor = appWith({ store, ack: 'after-handler', now: () => now });
    expect((await post(survivor.app, body)).status).toBe(503);
    now += 2_001;
    const retried = await post(survivor.app, body);
    expect(retried.status).toBe(200);
    expect(survivor.outcomes.at(-1)).toMatchObject({ type: 'accepted', context: { attempt: 1 } });
  });

  it('keeps renewing the lease of a delivery that waits in the queue longer than leaseSeconds', async () => {
    const store = memoryStore();
    const hold = gate();
    const first = appWith({ store, leaseSeconds: 0.3, maxConcurrency: 1, onTask: () => hold.promise });
    const handledElsewhere: string[] = [];
    const second = appWith({ store, leaseSeconds: 0.3, onTask: (task) => void handledElsewhere.push(task.task_id) });
    await post(first.app, notification({ task_id: 'running' }));
    await post(first.app, notification({ task_id: 'queued' }));
    // Three lease lengths pass while 'queued' waits behind the held handler.
    await new Promise((resolve) => setTimeout(resolve, 900));
    const copy = await post(second.app, notification({ task_id: 'queued' }));
    expect(copy.headers['x-piapi-webhook-outcome']).toBe('duplicate');
    hold.open();
    await first.hook.settled();
    expect(handledElsewhere).toEqual([]);
  });
});
