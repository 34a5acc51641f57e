import { createDeliveryMemory, deliveryKey, isTerminalStatus } from '../../lib/core/dedupe.js';
import type { PiapiTask } from '../../lib/index.js';

function task(task_id: string, status: string): PiapiTask {
  return { task_id, status, model: 'midjourney', task_type: 'imagine' };
}

describe('deliveryKey', () => {
  it.each<[string, [PiapiTask, number], [PiapiTask, number], boolean]>([
    ['a retry of the same delivery', [task('a', 'processing'), 10], [task('a', 'processing'), 10], true],
    ['a new progress report (new timestamp)', [task('a', 'processing'), 10], [task('a', 'processing'), 15], false],
    ['a status change within the same second', [task('a', 'pending'), 10], [task('a', 'processing'), 10], false],
    ['a completion re-sent with a new timestamp', [task('a', 'completed'), 10], [task('a', 'completed'), 99], true],
    ['a failure after a completion', [task('a', 'completed'), 10], [task('a', 'failed'), 11], true],
    ['the same delivery of two tasks', [task('a', 'completed'), 10], [task('b', 'completed'), 10], false],
    ['ids and statuses that join to the same text', [task('a:b', 'c'), 1], [task('a', 'b:c'), 1], false],
  ])('%s shares a key: %s', (_name, [first, firstAt], [second, secondAt], same) => {
    expect(deliveryKey(first, firstAt) === deliveryKey(second, secondAt)).toBe(same);
  });

  it('knows which statuses end a task', () => {
    expect(['pending', 'processing', 'staged', 'completed', 'failed', 'cancelled'].filter(isTerminalStatus)).toEqual([
      'completed',
      'failed',
    ]);
  });
});

describe('createDeliveryMemory', () => {
  it('claims a key once', () => {
    const memory = createDeliveryMemory(10, 60, Date.now);
    expect(memory.claim('k')).toBe(true);
    expect(memory.claim('k')).toBe(false);
    expect(memory.claim('other')).toBe(true);
  });

  it('forgets the least recently used key beyond max, and never grows past it', () => {
    const memory = createDeliveryMemory(3, 60, Date.now);
    for (const key of ['a', 'b', 'c', 'd']) memory.claim(key);
    expect(memory.size).toBe(3);
    expect(memory.claim('a')).toBe(true);
    expect(memory.claim('d')).toBe(false);
  });

  it('forgets a key once its time-to-live has passed on the injected clock', () => {
    let now = 1_000_000;
    const memory = createDeliveryMemory(10, 60, () => now);
    memory.claim('k');
    now += 59_000;
    expect(memory.claim('k')).toBe(false);
    now += 2_000;
    expect(memory.claim('k')).toBe(true);
  });
});
