import { startTimer } from '../../lib/core/timers.js';

describe('startTimer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs after its delay', () => {
    const run = jest.fn();
    startTimer(run, 1000);
    jest.advanceTimersByTime(999);
    expect(run).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('waits as long as it can for a delay past 2³¹ ms, instead of running at once', () => {
    const run = jest.fn();
    startTimer(run, 2 ** 40);
    jest.advanceTimersByTime(2 ** 31 - 2);
    expect(run).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('runs a negative delay at once', () => {
    const run = jest.fn();
    startTimer(run, -5);
    jest.advanceTimersByTime(0);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('does not keep the process alive unless asked', () => {
    jest.useRealTimers();
    const quiet = startTimer(() => undefined, 60_000);
    const kept = startTimer(() => undefined, 60_000, true);
    try {
      expect(quiet.hasRef()).toBe(false);
      expect(kept.hasRef()).toBe(true);
    } finally {
      clearTimeout(quiet);
      clearTimeout(kept);
    }
  });
});
