import { deliveryKey, isTerminalStatus } from '../../lib/core/dedupe.js';
import type { PiapiTask } from '../../lib/index.js';
import { nodePlatform } from '../../lib/node/platform.js';
import { PLATFORMS } from '../helpers/platforms.js';

const keyOf = (task: PiapiTask, timestamp: number) => deliveryKey(task, timestamp, nodePlatform);

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
    // UTF-8 would turn every lone surrogate into U+FFFD, and these three ids into one key.
    ['ids with different lone surrogates', [task('x\ud800', 'completed'), 1], [task('x\udc00', 'completed'), 1], false],
    [
      'a lone surrogate and the replacement character',
      [task('x\ud800', 'completed'), 1],
      [task('x\ufffd', 'completed'), 1],
      false,
    ],
  ])('%s shares a key: %s', (_name, [first, firstAt], [second, secondAt], same) => {
    expect(keyOf(first, firstAt) === keyOf(second, secondAt)).toBe(same);
  });

  it('is a fixed-size hash, however long the task id', () => {
    expect(keyOf(task('a', 'completed'), 1)).toMatch(/^[0-9a-f]{32}$/);
    expect(keyOf(task('x'.repeat(1_000_000), 'completed'), 1)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('is the same on every platform, so instances on Node and on a Fetch runtime share one Redis', () => {
    const ids = ['0ee5f8f4-5e2c-4f63-9bdb-1e0e6d2a0001', 'x\ud800', 'x\udc00y', 'émoji 🎨', 'x'.repeat(10_000)];
    for (const [, platform] of PLATFORMS) {
      for (const id of ids) {
        for (const [status, timestamp] of [
          ['completed', 1],
          ['processing', 1_700_000_000],
        ] as const) {
          expect(deliveryKey(task(id, status), timestamp, platform)).toBe(keyOf(task(id, status), timestamp));
        }
      }
    }
  });

  it('knows which statuses end a task', () => {
    expect(['pending', 'processing', 'staged', 'completed', 'failed', 'cancelled'].filter(isTerminalStatus)).toEqual([
      'completed',
      'failed',
    ]);
  });
});
