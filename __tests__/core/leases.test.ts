import { createLeaseKeeper } from '../../lib/core/leases.js';

/** Lets the renewals' promise callbacks run. */
const flush = async (): Promise<void> => {
  for (let turn = 0; turn < 5; turn += 1) await Promise.resolve();
};

describe('createLeaseKeeper', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('renews every held lease each leaseMs / 3, with its owner', () => {
    const renew = jest.fn(() => true);
    const keeper = createLeaseKeeper(9000, renew, jest.fn());
    keeper.hold('k1', 'owner-1', 1);
    keeper.hold('k2', 'owner-2', 1);
    jest.advanceTimersByTime(2999);
    expect(renew).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(renew.mock.calls).toEqual([
      ['k1', 'owner-1', 1],
      ['k2', 'owner-2', 1],
    ]);
    jest.advanceTimersByTime(3000);
    expect(renew).toHaveBeenCalledTimes(4);
  });

  it('stops renewing a dropped lease, and stops its one timer once none is held', () => {
    const renew = jest.fn(() => true);
    const keeper = createLeaseKeeper(3000, renew, jest.fn());
    keeper.hold('k1', 'owner-1', 1);
    expect(jest.getTimerCount()).toBe(1);
    keeper.drop('k1');
    jest.advanceTimersByTime(1000);
    expect(renew).not.toHaveBeenCalled();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('shares one timer between every lease', () => {
    const keeper = createLeaseKeeper(3000, () => true, jest.fn());
    for (let index = 0; index < 50; index += 1) keeper.hold(`k${index}`, 'owner', 1);
    expect(jest.getTimerCount()).toBe(1);
  });

  it('tells onLost once when a renewal finds the lease gone, and stops renewing it', async () => {
    const renew = jest.fn((key: string) => Promise.resolve(key !== 'lost'));
    const onLost = jest.fn();
    const keeper = createLeaseKeeper(3000, renew, onLost);
    keeper.hold('kept', 'owner-1', 1);
    keeper.hold('lost', 'owner-2', 1);
    jest.advanceTimersByTime(1000);
    await flush();
    expect(onLost.mock.calls).toEqual([['lost']]);
    jest.advanceTimersByTime(1000);
    await flush();
    expect(onLost).toHaveBeenCalledTimes(1);
    expect(renew.mock.calls.filter(([key]) => key === 'lost')).toHaveLength(1);
  });

  it('does not tell onLost about a renewal of an owner that has since been replaced', async () => {
    let answer: (kept: boolean) => void = () => undefined;
    const renew = jest.fn(() => new Promise<boolean>((resolve) => (answer = resolve)));
    const onLost = jest.fn();
    const keeper = createLeaseKeeper(3000, renew, onLost);
    keeper.hold('k', 'first-owner', 1);
    jest.advanceTimersByTime(1000);
    // The key is claimed again, by a new owner, while the old owner's renewal is in flight.
    keeper.hold('k', 'second-owner', 1);
    answer(false);
    await flush();
    expect(onLost).not.toHaveBeenCalled();
  });

  it('renews at least every millisecond for a tiny lease, never with a zero interval', () => {
    const renew = jest.fn(() => true);
    createLeaseKeeper(1, renew, jest.fn()).hold('k', 'o', 1);
    jest.advanceTimersByTime(1);
    expect(renew).toHaveBeenCalledTimes(1);
  });
});
