import type { KnownModel, PiapiOutputs, PiapiTaskTypes } from '../core/outputs.js';
import type { PiapiTask } from '../core/types.js';
import data from './fixture-data.cjs';

/**
 * What each shipped fixture is: its model, its task type, and whether its
 * `output` is set (`'output'`) or `null` (`'null'`). The data itself lives in
 * `fixtures.json`: realistic PiAPI notifications, one per model and status that
 * PiAPI documents. Ids and URLs are invented (example.com hosts); shapes follow
 * PiAPI's documents, quirks included: null outputs while pending, the Go zero
 * time for unset times, the secret echoed in config.webhook_config. A test
 * checks that this table and the JSON agree.
 */
export const FIXTURE_KINDS = {
  'faceswap-image-completed': ['Qubico/image-toolkit', 'face-swap', 'output'],
  'flux-img2img-pending': ['Qubico/flux1-dev', 'img2img', 'null'],
  'flux-txt2img-completed': ['Qubico/flux1-schnell', 'txt2img', 'output'],
  'kling-video-generation-completed': ['kling', 'video_generation', 'output'],
  'kling-video-generation-failed': ['kling', 'video_generation', 'null'],
  'luma-video-generation-completed': ['luma', 'video_generation', 'output'],
  'luma-video-generation-pending': ['luma', 'video_generation', 'output'],
  'midjourney-imagine-completed': ['midjourney', 'imagine', 'output'],
  'midjourney-imagine-processing': ['midjourney', 'imagine', 'output'],
  'midjourney-imagine-staged': ['midjourney', 'imagine', 'output'],
  'midjourney-upscale-completed': ['midjourney', 'upscale', 'output'],
  'midjourney-variation-failed': ['midjourney', 'variation', 'output'],
  'suno-generate-music-custom-completed': ['music-s', 'generate_music_custom', 'output'],
  'suno-generate-music-failed': ['music-s', 'generate_music', 'null'],
} as const satisfies Record<
  string,
  { [M in KnownModel]: readonly [M, PiapiTaskTypes[M], 'output' | 'null'] }[KnownModel]
>;

/** The name of a shipped fixture, such as `'midjourney-imagine-completed'`. */
export type FixtureName = keyof typeof FIXTURE_KINDS;

type Kind<N extends FixtureName> = (typeof FIXTURE_KINDS)[N];

/**
 * The task of the fixture `N`: its model and task type as literals, and its
 * `output` typed for the model (or `null`, for the fixtures that have none),
 * like `PiapiTaskOf<model, taskType>`.
 */
export type FixtureTask<N extends FixtureName> = Omit<PiapiTask, 'model' | 'task_type' | 'output'> & {
  model: Kind<N>[0];
  task_type: Kind<N>[1];
  output: Kind<N>[2] extends 'null' ? null : PiapiOutputs[Kind<N>[0]];
};

/** The notification of the fixture `N`, as {@link fixture} returns it. */
export interface FixtureNotification<N extends FixtureName> {
  /** Unix seconds. */
  timestamp: number;
  data: FixtureTask<N>;
}

/** Every fixture, as stored: typed by name. Copy before changing one. */
export const FIXTURES = data as unknown as { readonly [N in FixtureName]: FixtureNotification<N> };
