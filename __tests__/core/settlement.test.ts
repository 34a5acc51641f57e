import type { Claims } from '../../lib/core/claims.js';
import { parseOptions } from '../../lib/core/options.js';
import { createScheduler, type PendingHandler } from '../../lib/core/scheduler.js';
import { createSettlement, type DeliverOutcome } from '../../lib/core/settlement.js';
import type { PiapiTask, PiapiWebhookContext } from '../../lib/index.js';
import { memoryStore } from '../../lib/index.js';
import { notification, NOW_MS } from '../helpers/notifications.js';

const task = notification({ status: 'completed' }).data;
const context: PiapiWebhookContext = {
  timestamp: NOW_MS / 1000,
  receivedAt: NOW_MS,
  deliveryKey: 'key',
  source: 'webhook',
  attempt: 1,
};

/** A settlement over a real scheduler and claims that record what they were asked. */
function setup(onTask: (task: PiapiTask) => unknown, completes = true) {
  const calls: string[] = [];
  const claims: Claims = {
    claim: () => ({ state: 'claimed', attempt: 1 }),
    complete: (_task, _context, owner) => (calls.push(`complete ${owner}`), completes),
    release: (_task, _context, owner) => void calls.push(`release ${owner}`),
    record: () => Promise.resolve(),
  };
  const warn = jest.fn();
  const config = parseOptions(
    { secret: 'secret', onTask, now: () => NOW_MS, logger: { warn, error: jest.fn() } },
    memoryStore,
  );
  // One place in all: a new reservation fits only once the delivery's place is given back.
  const scheduler = createScheduler(1, 0);
  const errors: unknown[] = [];
  const settlement = createSettlement(config, scheduler, claims, (error) => void errors.push(error));
  const place = scheduler.reserve(task.task_id, task.status, context.deliveryKey) as PendingHandler;
  const run = () =>
    new Promise<DeliverOutcome>((resolve) => settlement.execute(place, task, context, 'owner-1', resolve));
  return { settlement, scheduler, place, calls, errors, warn, run };
}

describe('createSettlement', () => {
  it('records a delivery done once its handler succeeds, and gives its place back', async () => {
    const { scheduler, calls, errors, run } = setup(() => undefined);
    expect(await run()).toEqual({ status: 'handled', task, context });
    expect(calls).toEqual(['complete owner-1']);
    expect(errors).toEqual([]);
    expect(typeof scheduler.reserve('next', 'completed', 'next-key')).toBe('object');
  });

  it('releases a delivery whose handler failed, and reports the error', async () => {
    const failure = new Error('handler broke');
    const { scheduler, calls, errors, run } = setup(() => Promise.reject(failure));
    expect(await run()).toEqual({ status: 'failed', task, context, error: failure });
    expect(calls).toEqual(['release owner-1']);
    expect(errors).toEqual([failure]);
    expect(typeof scheduler.reserve('next', 'completed', 'next-key')).toBe('object');
  });

  it('warns when another instance had taken the lease over before the completion', async () => {
    const { warn, run } = setup(() => undefined, false);
    expect((await run()).status).toBe('handled');
    expect(warn).toHaveBeenCalledWith(
      { taskId: task.task_id },
      expect.stringContaining('whose lease another instance had taken over'),
    );
  });

  it('gives back the place and the claim of a delivery refused after its claim', () => {
    const { settlement, scheduler, place, calls } = setup(() => undefined);
    expect(scheduler.reserve('other', 'completed', 'other-key')).toBe('overloaded');
    settlement.giveBack(place, task, context, 'owner-1');
    expect(calls).toEqual(['release owner-1']);
    expect(typeof scheduler.reserve('other', 'completed', 'other-key')).toBe('object');
  });
});
