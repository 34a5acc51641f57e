import { PiapiWebhookStoreError } from '../../lib/core/errors.js';
import { createStoreGuard } from '../../lib/core/store-guard.js';

interface Report {
  readonly error: PiapiWebhookStoreError;
  readonly opened: boolean;
}

function guarded(timeoutMs = 1000, cooldownMs = 5000) {
  const reports: Report[] = [];
  const guard = createStoreGuard(timeoutMs, cooldownMs, (error, opened) => reports.push({ error, opened }));
  return { guard, reports };
}

describe('createStoreGuard', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('hands a synchronous answer back synchronously, with no timer', () => {
    const { guard, reports } = guarded();
    const result = guard.call('claim', () => 'answer', 'fallback');
    expect(result).toBe('answer');
    expect(jest.getTimerCount()).toBe(0);
    expect(reports).toEqual([]);
  });

  it('hands an asynchronous answer back, and clears its timeout', async () => {
    const { guard, reports } = guarded();
    await expect(guard.call('claim', () => Promise.resolve('answer'), 'fallback')).resolves.toBe('answer');
    expect(jest.getTimerCount()).toBe(0);
    expect(reports).toEqual([]);
  });

  it('answers the fallback when the store throws, and reports the failure as opening a break', () => {
    const { guard, reports } = guarded();
    const cause = new Error('connection refused');
    expect(
      guard.call(
        'complete',
        () => {
          throw cause;
        },
        true,
      ),
    ).toBe(true);
    expect(reports).toHaveLength(1);
    expect(reports[0]?.opened).toBe(true);
    expect(reports[0]?.error).toBeInstanceOf(PiapiWebhookStoreError);
    expect(reports[0]?.error.operation).toBe('complete');
    expect(reports[0]?.error.cause).toBe(cause);
  });

  it('answers the fallback when the store rejects', async () => {
    const { guard, reports } = guarded();
    await expect(guard.call('release', () => Promise.reject(new Error('down')), false)).resolves.toBe(false);
    expect(reports.map(({ error, opened }) => [error.operation, opened])).toEqual([['release', true]]);
  });

  it('answers the fallback once the store takes longer than timeoutMs', async () => {
    const { guard, reports } = guarded(2000);
    const answer = guard.call('claim', () => new Promise<string>(() => undefined), 'fallback');
    jest.advanceTimersByTime(1999);
    await Promise.resolve();
    expect(reports).toEqual([]);
    jest.advanceTimersByTime(1);
    await expect(answer).resolves.toBe('fallback');
    expect(reports).toHaveLength(1);
    expect(String((reports[0]?.error.cause as Error).message)).toContain('2000 ms');
  });

  it('skips the store for cooldownMs after a failure, reporting each skip without reopening, then calls it again', () => {
    const { guard, reports } = guarded(1000, 5000);
    const store = jest.fn((): string => {
      throw new Error('down');
    });
    void guard.call('claim', store, 'fallback');
    jest.advanceTimersByTime(4999);
    expect(guard.call('claim', store, 'fallback')).toBe('fallback');
    expect(store).toHaveBeenCalledTimes(1);
    expect(reports.map(({ opened }) => opened)).toEqual([true, false]);
    expect((reports[1]?.error.cause as Error).message).toMatch(/skipped/);
    jest.advanceTimersByTime(1);
    store.mockImplementation(() => 'back');
    expect(guard.call('claim', store, 'fallback')).toBe('back');
    expect(store).toHaveBeenCalledTimes(2);
  });

  it('closes the break after an asynchronous success, so the next failure opens a new one', async () => {
    const { guard, reports } = guarded(1000, 5000);
    void guard.call(
      'claim',
      () => {
        throw new Error('down');
      },
      'fallback',
    );
    jest.advanceTimersByTime(5000);
    await expect(guard.call('claim', () => Promise.resolve('ok'), 'fallback')).resolves.toBe('ok');
    void guard.call(
      'claim',
      () => {
        throw new Error('down again');
      },
      'fallback',
    );
    expect(reports.map(({ opened }) => opened)).toEqual([true, true]);
  });
});
