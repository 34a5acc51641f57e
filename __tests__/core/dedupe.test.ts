import { deliveryKey, isTerminalStatus } from '../../lib/core/dedupe.js';
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
