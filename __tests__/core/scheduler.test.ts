import { createScheduler, type PendingHandler } from '../../lib/core/scheduler.js';

/** Reserves a place and fails the test if it was refused. */
function place(scheduler: ReturnType<typeof createScheduler>, id: string): PendingHandler {
  const reserved = scheduler.reserve(id, 'completed', `key-${id}`);
  if (typeof reserved === 'string') throw new Error(`${id} was refused: ${reserved}`);
  return reserved;
}

describe('createScheduler', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs at most maxConcurrency handlers at once and starts a waiting one as each finishes', () => {
    const scheduler = createScheduler(2, 5);
    const started: string[] = [];
    const places = ['a', 'b', 'c', 'd'].map((id) => place(scheduler, id));
    for (const reserved of places) scheduler.start(() => started.push(reserved.taskId));
    expect(started).toEqual(['a', 'b']);
    scheduler.finish(places[0]!);
    expect(started).toEqual(['a', 'b', 'c']);
    scheduler.finish(places[1]!);
    expect(started).toEqual(['a', 'b', 'c', 'd']);
  });

  it('refuses a place beyond maxConcurrency + maxQueue as overloaded, and takes one again once a place is given back', () => {
    const scheduler = createScheduler(1, 1);
    const first = place(scheduler, 'a');
    place(scheduler, 'b');
    expect(scheduler.reserve('c', 'completed', 'key-c')).toBe('overloaded');
    scheduler.cancel(first);
    expect(typeof scheduler.reserve('c', 'completed', 'key-c')).toBe('object');
  });

  it('accepts no waiting delivery with maxQueue 0', () => {
    const scheduler = createScheduler(1, 0);
    place(scheduler, 'a');
    expect(scheduler.reserve('b', 'completed', 'key-b')).toBe('overloaded');
  });

  it('refuses new places once a drain has begun, and resolves the drain when the last place is given back', async () => {
    const scheduler = createScheduler(1, 1);
    const held = place(scheduler, 'a');
    let report: unknown;
    void scheduler.drain(10_000).then((result) => (report = result));
    expect(scheduler.reserve('b', 'completed', 'key-b')).toBe('draining');
    await Promise.resolve();
    expect(report).toBeUndefined();
    scheduler.cancel(held);
    await Promise.resolve();
    expect(report).toEqual({ timedOut: false, pending: [] });
  });

  it('resolves a drain at its timeout with the handlers still held', async () => {
    const scheduler = createScheduler(1, 1);
    place(scheduler, 'a');
    const drained = scheduler.drain(5000);
    jest.advanceTimersByTime(4999);
    await Promise.resolve();
    let report: unknown;
    void drained.then((result) => (report = result));
    await Promise.resolve();
    expect(report).toBeUndefined();
    jest.advanceTimersByTime(1);
    await expect(drained).resolves.toEqual({
      timedOut: true,
      pending: [{ taskId: 'a', status: 'completed', deliveryKey: 'key-a' }],
    });
  });

  it('waits for ever on drain(Infinity) instead of firing at once', async () => {
    const scheduler = createScheduler(1, 1);
    const held = place(scheduler, 'a');
    let report: unknown;
    void scheduler.drain(Infinity).then((result) => (report = result));
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(2 ** 31);
    await Promise.resolve();
    expect(report).toBeUndefined();
    scheduler.cancel(held);
    await Promise.resolve();
    expect(report).toEqual({ timedOut: false, pending: [] });
  });

  it('resolves a drain at once when nothing is held', async () => {
    await expect(createScheduler(1, 1).drain(1000)).resolves.toEqual({ timedOut: false, pending: [] });
    expect(jest.getTimerCount()).toBe(0);
  });

  it('settles once the places held when settled() was called are given back, not later ones', async () => {
    const scheduler = createScheduler(2, 2);
    const first = place(scheduler, 'a');
    let settled = false;
    void scheduler.settled().then(() => (settled = true));
    const later = place(scheduler, 'b');
    scheduler.cancel(first);
    await Promise.resolve();
    expect(settled).toBe(true);
    // The later place is still held: a new settled() waits for it.
    let settledAgain = false;
    void scheduler.settled().then(() => (settledAgain = true));
    await Promise.resolve();
    expect(settledAgain).toBe(false);
    scheduler.cancel(later);
    await Promise.resolve();
    expect(settledAgain).toBe(true);
  });
});
