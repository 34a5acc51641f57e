/**
 * Type-level tests for the task helpers, checked by `tsc` (npm run typecheck,
 * part of npm test). Each `@ts-expect-error` line must fail to compile.
 */
import { isModel, isTerminal, type KnownTaskStatus, type PiapiTask, type PiapiTaskOf } from '../../lib/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(): T => true as T;

declare const task: PiapiTask;

// Before the guard, any status.
expectType<Equal<typeof task.status, PiapiTask['status']>>();

if (isTerminal(task)) {
  // isTerminal narrows the status to the two terminal ones...
  expectType<Equal<typeof task.status, 'completed' | 'failed'>>();
  const ended: 'completed' | 'failed' = task.status;
  void ended;
  // ...so a comparison with a running status is a mistake the compiler sees.
  // @ts-expect-error a terminal task is never 'processing'
  void (task.status === 'processing');
  // ...and keeps every other field of the task.
  const id: string = task.task_id;
  void id;
}

// It composes with the model guards: the typed output survives.
declare const midjourney: PiapiTaskOf<'midjourney'>;
if (isTerminal(midjourney)) {
  expectType<Equal<typeof midjourney.status, 'completed' | 'failed'>>();
  const urls: string[] | null | undefined = midjourney.output?.image_urls;
  void urls;
}
if (isModel(task, 'kling') && isTerminal(task)) {
  const model: 'kling' = task.model;
  void model;
}

// It takes anything with a status, such as a status-only object.
declare const statusOnly: { status: KnownTaskStatus };
if (isTerminal(statusOnly)) {
  expectType<Equal<typeof statusOnly.status, 'completed' | 'failed'>>();
}
