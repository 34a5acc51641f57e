import { isTerminalStatus } from './dedupe.js';
import type { KnownModel, KnownPiapiTask, PiapiTaskOf, PiapiTaskTypes } from './outputs.js';
import type { PiapiTask } from './types.js';

// `satisfies` makes the compiler insist that every known model is listed here.
const KNOWN_MODELS: ReadonlySet<string> = new Set(
  Object.keys({
    midjourney: true,
    'music-s': true,
    'music-u': true,
    luma: true,
    kling: true,
    hailuo: true,
    'Qubico/flux1-dev': true,
    'Qubico/flux1-schnell': true,
    'Qubico/flux1-dev-advanced': true,
    'Qubico/image-toolkit': true,
    'Qubico/video-toolkit': true,
    'Qubico/hunyuan': true,
    'Qubico/wanx': true,
    'Qubico/skyreels': true,
    'Qubico/trellis': true,
    'Qubico/mmaudio': true,
    'Qubico/tts': true,
    'Qubico/ace-step': true,
  } satisfies Record<KnownModel, true>),
);

/**
 * Narrows a task to a known model, typing its `output`.
 *
 * @example
 * ```ts
 * if (isModel(task, 'midjourney')) use(task.output?.image_urls);
 * ```
 */
export function isModel<M extends KnownModel>(task: PiapiTask, model: M): task is PiapiTaskOf<M> {
  return task.model === model;
}

/** Narrows a task to a known model and task type. */
export function isTaskOf<M extends KnownModel, T extends PiapiTaskTypes[M]>(
  task: PiapiTask,
  model: M,
  taskType: T,
): task is PiapiTaskOf<M, T> {
  return task.model === model && task.task_type === taskType;
}

/** Whether PiAPI documents this task's model; if so, `switch (task.model)` narrows `output`. */
export function isKnownModel(task: PiapiTask): task is KnownPiapiTask {
  return KNOWN_MODELS.has(task.model);
}

/**
 * Whether the task has ended (`completed` or `failed`): PiAPI sends nothing after
 * it. A type guard: inside `if (isTerminal(task))`, `task.status` is
 * `'completed' | 'failed'`.
 *
 * The middleware hands out lowercase statuses, which is what the narrowed type
 * promises. A raw `'Completed'` from elsewhere also counts as ended, so lowercase
 * such a status yourself before comparing it.
 *
 * @param task - a task, or anything with its `status`
 */
export function isTerminal<T extends Pick<PiapiTask, 'status'>>(
  task: T,
): task is T & { status: 'completed' | 'failed' } {
  return isTerminalStatus(task.status.toLowerCase());
}

const URL_PATTERN = /^https?:\/\//i;
// Outputs are small; the bounds only keep a hostile one from costing much.
const MAX_DEPTH = 8;
const MAX_URLS = 1000;

/**
 * Every image, video, audio or model URL in a task's output, whatever the model:
 * each `http(s)` string found anywhere in `output`, in document order, without
 * duplicates. Empty while the task has no output.
 */
export function resultUrls(task: Pick<PiapiTask, 'output'>): string[] {
  const found = new Set<string>();
  const visit = (value: unknown, depth: number): void => {
    if (found.size >= MAX_URLS) return;
    if (typeof value === 'string') {
      if (URL_PATTERN.test(value)) found.add(value);
    } else if (typeof value === 'object' && value !== null && depth < MAX_DEPTH) {
      for (const item of Array.isArray(value) ? value : Object.values(value)) visit(item, depth + 1);
    }
  };
  visit(task.output, 0);
  return [...found];
}
