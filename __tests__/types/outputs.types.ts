/**
 * Type-level tests, checked by `tsc` (npm run typecheck, part of npm test).
 * Each `@ts-expect-error` line must fail to compile, or the check fails.
 */
import { isKnownModel, isModel, isTaskOf, type PiapiTask, type PiapiWebhookOptions } from '../../lib/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(): T => true as T;

declare const task: PiapiTask;

// A generic task stays usable: output fields are unknown until narrowed.
expectType<Equal<typeof task.model, string>>();
const anything: unknown = task.output?.['whatever'];
void anything;

if (isModel(task, 'midjourney')) {
  expectType<Equal<typeof task.model, 'midjourney'>>();
  const urls: string[] | null | undefined = task.output?.image_urls;
  const progress: number | undefined = task.output?.progress;
  void [urls, progress];
  // @ts-expect-error a Midjourney output has no clips
  const clips: Record<string, unknown> | undefined = task.output?.clips;
  void clips;
}

if (isTaskOf(task, 'music-s', 'generate_music_custom')) {
  expectType<Equal<typeof task.task_type, 'generate_music_custom'>>();
  const audio: string | undefined = Object.values(task.output?.clips ?? {})[0]?.audio_url;
  void audio;
}

if (isKnownModel(task)) {
  switch (task.model) {
    case 'kling': {
      const video: string | undefined = task.output?.works?.[0]?.video?.resource;
      void video;
      break;
    }
    case 'hailuo': {
      const percent: number | undefined = task.output?.percent;
      void percent;
      break;
    }
    case 'Qubico/flux1-dev': {
      const image: string | undefined = task.output?.image_url;
      // @ts-expect-error flux has no video_url
      void task.output?.video_url.length;
      void image;
      break;
    }
  }
}

// @ts-expect-error veo3 is not a model whose output PiAPI documents
isModel(task, 'veo3');
// @ts-expect-error Midjourney has no generate_music task
isTaskOf(task, 'midjourney', 'generate_music');

// Options are checked too.
const options: PiapiWebhookOptions = { secret: 's', onTask: () => undefined };
void options;
// @ts-expect-error ack has two modes
const wrongAck: PiapiWebhookOptions = { secret: 's', onTask: () => undefined, ack: 'sometimes' };
void wrongAck;
