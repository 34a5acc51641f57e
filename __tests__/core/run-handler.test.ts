import { PiapiWebhookHandlerTimeoutError } from '../../lib/core/errors.js';
import { runHandler } from '../../lib/core/run-handler.js';
import type { PiapiWebhookContext } from '../../lib/index.js';
import { notification, NOW_MS } from '../helpers/notifications.js';

const task = notification().data;
const context: PiapiWebhookContext = {
  timestamp: NOW_MS / 1000,
  receivedAt: NOW_MS,
  deliveryKey: 'key',
  source: 'webhook',
  attempt: 1,
};

/** Runs `handler` and records every call of `done`. */
function run(handler: () => unknown, timeoutMs = 1000): Array<[boolean, unknown]> {
  const calls: Array<[boolean, unknown]> = [];
  runHandler(handler, task, context, timeoutMs, (succeeded, error) => void calls.push([succeeded, error]));
  return calls;
}

const flush = async (): Promise<void> => {
  for (let turn = 0; turn < 5; turn += 1) await Promise.resolve();
};

describe('runHandler', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('hands the handler its task and context', () => {
    const handler = jest.fn();
    runHandler(handler, task, context, 1000, () => undefined);
    expect(handler).toHaveBeenCalledWith(task, context);
  });

  it('settles a synchronous handler in the same turn, with no timer', () => {
    expect(run(() => 'done')).toEqual([[true, undefined]]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('settles a handler that throws as failed, with its error', () => {
    const error = new Error('sync failure');
    expect(
      run(() => {
        throw error;
      }),
    ).toEqual([[false, error]]);
  });

  it('settles an async handler once it resolves, and clears its timer', async () => {
    const calls = run(() => Promise.resolve());
    expect(calls).toEqual([]);
    await flush();
    expect(calls).toEqual([[true, undefined]]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('settles an async handler that rejects as failed, with its reason', async () => {
    const error = new Error('async failure');
    const calls = run(() => Promise.reject(error));
    await flush();
    expect(calls).toEqual([[false, error]]);
  });

  it('fails a handler that runs past timeoutMs with a PiapiWebhookHandlerTimeoutError, once, even if it ends later', async () => {
    let finish: () => void = () => undefined;
    const calls = run(() => new Promise<void>((resolve) => (finish = resolve)), 5000);
    jest.advanceTimersByTime(4999);
    expect(calls).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[0]).toBe(false);
    expect(calls[0]?.[1]).toBeInstanceOf(PiapiWebhookHandlerTimeoutError);
    finish();
    await flush();
    expect(calls).toHaveLength(1);
  });

  it('fails a handler that returns a thenable whose then throws', async () => {
    const error = new Error('hostile then');
    const calls = run(() => ({
      then() {
        throw error;
      },
    }));
    await flush();
    expect(calls).toEqual([[false, error]]);
  });

  it('fails a handler whose result has a then getter that throws', () => {
    const error = new Error('hostile getter');
    const calls = run(() => ({
      get then(): never {
        throw error;
      },
    }));
    expect(calls).toEqual([[false, error]]);
  });
});
