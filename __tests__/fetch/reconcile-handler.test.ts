/**
 * `reconcileHandler(hook, { secret, deadlineMs })`: the route a scheduler (Vercel
 * Cron, Netlify, pg_cron + pg_net) calls to run recovery, against the fake PiAPI.
 */
import { piapiWebhook } from '../../lib/index.js';
import {
  PiapiWebhookConfigError,
  piapiWebhookHandler,
  reconcileHandler,
  type PiapiWebhookOptions,
  type ReconcileOptions,
} from '../../lib/fetch/index.js';
import { FakePiapi } from '../helpers/fake-piapi.js';
import { SECRET } from '../helpers/notifications.js';

const API_KEY = 'fake-piapi-key-never-echoed';
const CRON_SECRET = 'cron-secret-0b6d1e9a4f';
const ROUTE = 'http://localhost/api/piapi/reconcile';

let piapi: FakePiapi;
let now: number;
beforeEach(async () => {
  now = Date.now();
  piapi = await FakePiapi.start({ webhooks: false, apiKey: API_KEY });
});
afterEach(async () => {
  await piapi.close();
});

function createHook(options: Partial<PiapiWebhookOptions> = {}) {
  const handled: string[] = [];
  const errors: unknown[] = [];
  const handle = piapiWebhookHandler({
    secret: SECRET,
    onTask: (task) => void handled.push(task.task_id),
    onError: (error) => void errors.push(error),
    now: () => now,
    recovery: { apiKey: API_KEY, baseUrl: piapi.url, checkAfterSeconds: 1, intervalSeconds: 0 },
    ...options,
  });
  return { handle, handled, errors };
}

/** A task that ended at PiAPI without its webhook arriving, watched and due. */
async function lostEnd(handle: ReturnType<typeof createHook>['handle']): Promise<string> {
  const task = await piapi.createTask({ model: 'midjourney', task_type: 'imagine' });
  piapi.tasks.get(task.task_id)!.status = 'completed';
  piapi.tasks.get(task.task_id)!.output = { image_url: 'https://img.example.com/done.png' };
  await handle.watch(task.task_id);
  now += 2000;
  return task.task_id;
}

function call(method: string, authorization?: string): Request {
  return new Request(ROUTE, { method, headers: authorization === undefined ? {} : { authorization } });
}

describe('reconcileHandler', () => {
  it('runs reconcile on a GET with the bearer secret and answers 200 with the report, never the API key', async () => {
    const { handle, handled } = createHook();
    const id = await lostEnd(handle);
    const route = reconcileHandler(handle, { secret: CRON_SECRET });
    const response = await route(call('GET', `Bearer ${CRON_SECRET}`));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      checked: 1,
      recovered: [id],
      alreadyHandled: [],
      pending: [],
      failed: [],
      gaveUp: [],
      more: false,
      skipped: [],
    });
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(CRON_SECRET);
    expect(handled).toEqual([id]);
  });

  it('accepts POST too, and any secret of a rotation list', async () => {
    const { handle } = createHook();
    const route = reconcileHandler(handle, { secret: ['cron-secret-old', CRON_SECRET] });
    expect((await route(call('POST', `Bearer ${CRON_SECRET}`))).status).toBe(200);
    expect((await route(call('GET', 'bearer cron-secret-old'))).status).toBe(200);
  });

  it.each([
    ['no authorization header', undefined, 'missing_secret'],
    ['an empty header', '', 'missing_secret'],
    ['another scheme', `Basic ${CRON_SECRET}`, 'missing_secret'],
    ['a bare secret', CRON_SECRET, 'missing_secret'],
    ['a wrong secret', 'Bearer cron-secret-0b6d1e9a4', 'invalid_secret'],
    ['the webhook secret', `Bearer ${SECRET}`, 'invalid_secret'],
  ])('answers 401 to %s, without running reconcile', async (_name, authorization, error) => {
    const { handle, handled } = createHook();
    await lostEnd(handle);
    const route = reconcileHandler(handle, { secret: CRON_SECRET });
    const response = await route(call('GET', authorization));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toMatchObject({ error });
    expect(piapi.getRequests).toEqual([]);
    expect(handled).toEqual([]);
  });

  it.each(['PUT', 'DELETE', 'PATCH', 'HEAD'])('answers 405 with allow: GET, POST to %s', async (method) => {
    const { handle } = createHook();
    const response = await reconcileHandler(handle, { secret: CRON_SECRET })(call(method, `Bearer ${CRON_SECRET}`));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST');
    expect(piapi.getRequests).toEqual([]);
  });

  it('passes its deadline (25 s by default) and limit to reconcile', async () => {
    const { handle } = createHook();
    const calls: unknown[][] = [];
    // The real hook, with its reconcile watched.
    const spied = Object.assign(Object.create(null) as object, handle, {
      reconcile: (...args: unknown[]) => {
        calls.push(args);
        return handle.reconcile(...(args as [undefined, ReconcileOptions]));
      },
    });
    await reconcileHandler(spied, { secret: CRON_SECRET })(call('GET', `Bearer ${CRON_SECRET}`));
    await reconcileHandler(spied, { secret: CRON_SECRET, deadlineMs: 12_000, limit: 50 })(
      call('GET', `Bearer ${CRON_SECRET}`),
    );
    expect(calls).toEqual([
      [undefined, { deadlineMs: 25_000 }],
      [undefined, { deadlineMs: 12_000, limit: 50 }],
    ]);
  });

  it('answers 500 reconcile_failed when reconcile fails, and reports the error to the hook’s onError', async () => {
    const { handle, errors } = createHook();
    const failure = new Error('the store went away');
    const failing = Object.assign(Object.create(null) as object, handle, { reconcile: () => Promise.reject(failure) });
    const response = await reconcileHandler(failing, { secret: CRON_SECRET })(call('POST', `Bearer ${CRON_SECRET}`));
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ error: 'reconcile_failed' });
    expect(errors).toContain(failure);
  });

  it('drives the Express middleware’s reconcile as well', async () => {
    const hook = piapiWebhook({
      secret: SECRET,
      onTask: () => undefined,
      recovery: { apiKey: API_KEY, baseUrl: piapi.url, intervalSeconds: 0 },
    });
    const response = await reconcileHandler(hook, { secret: CRON_SECRET })(call('GET', `Bearer ${CRON_SECRET}`));
    expect(await response.json()).toMatchObject({ checked: 0, more: false });
  });

  describe('refuses a wrong setup at construction, naming the option', () => {
    it.each([
      [{}, 'reconcileHandler.secret', /is required/],
      [{ secret: '' }, 'reconcileHandler.secret', /Authorization: Bearer/],
      [{ secret: [] }, 'reconcileHandler.secret', /at least one secret/],
      [{ secret: ' padded ' }, 'reconcileHandler.secret', /whitespace/],
      [{ secret: CRON_SECRET, deadlineMs: 0 }, 'reconcileHandler.deadlineMs', /positive finite number/],
      [{ secret: CRON_SECRET, deadlineMs: 5000 }, 'reconcileHandler.deadlineMs', /requestTimeoutMs: 10000 ms/],
      [{ secret: CRON_SECRET, limit: 0 }, 'reconcileHandler.limit', /positive finite integer/],
      [
        { secret: CRON_SECRET, deadline: 5000 },
        'reconcileHandler.deadline',
        /Known options: secret, deadlineMs, limit/,
      ],
    ])('%p → %s', (options, option, message) => {
      const { handle } = createHook();
      const build = () => reconcileHandler(handle, options as never);
      expect(build).toThrow(PiapiWebhookConfigError);
      expect(build).toThrow(expect.objectContaining({ option, message: expect.stringMatching(message) }));
    });

    it('refuses a hook without the recovery option, or something that is not a hook', () => {
      const plain = piapiWebhookHandler({ secret: SECRET, onTask: () => undefined });
      expect(() => reconcileHandler(plain, { secret: CRON_SECRET })).toThrow(
        expect.objectContaining({ option: 'reconcileHandler.hook', message: expect.stringMatching(/recovery/) }),
      );
      expect(() => reconcileHandler({} as never, { secret: CRON_SECRET })).toThrow(
        expect.objectContaining({ option: 'reconcileHandler.hook' }),
      );
    });

    it('never echoes a secret in its errors', () => {
      const { handle } = createHook();
      const secret = `${CRON_SECRET}\n`;
      expect(() => reconcileHandler(handle, { secret })).toThrow(PiapiWebhookConfigError);
      try {
        reconcileHandler(handle, { secret });
      } catch (error) {
        expect((error as Error).message).not.toContain(CRON_SECRET);
      }
    });
  });
});
