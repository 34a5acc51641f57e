/**
 * `output` shapes per model, where PiAPI documents them. Every field is optional:
 * outputs are zero-valued or partial while a task runs, and PiAPI changes them
 * per model version. Unknown fields pass through.
 */
import type { PiapiTask } from './types.js';

type Open = { [key: string]: unknown };

/** `midjourney`: imagine, upscale, variation, reroll, blend, inpaint, outpaint, pan, describe, seed. */
export interface MidjourneyOutput extends Open {
  image_url?: string;
  /** The four images of a grid; `null` on some plans, where `temporary_image_urls` has them. */
  image_urls?: string[] | null;
  temporary_image_urls?: string[] | null;
  discord_image_url?: string;
  /** The follow-up actions available: `upscale1`, `variation2`, `reroll`, `pan_left`, … */
  actions?: string[];
  /** 0 to 100. */
  progress?: number;
  intermediate_image_urls?: string[] | null;
  /** `describe` only. */
  description?: string;
  /** `seed` only. */
  seed?: string | number;
}

/** One Suno clip. */
export interface SunoClip extends Open {
  id?: string;
  title?: string;
  audio_url?: string;
  video_url?: string;
  image_url?: string;
  image_large_url?: string;
  status?: string;
  model_name?: string;
  metadata?: { tags?: string; prompt?: string; duration?: number; error_type?: string; error_message?: string } & Open;
}

/** `music-s` (Suno): clips keyed by clip id. */
export interface SunoOutput extends Open {
  clips?: Record<string, SunoClip>;
}

/** One Udio song. */
export interface UdioSong extends Open {
  id?: string;
  title?: string;
  song_path?: string;
  image_path?: string;
  lyrics?: string;
  prompt?: string;
  duration?: number;
  finished?: boolean;
  tags?: string[];
}

/** `music-u` (Udio). */
export interface UdioOutput extends Open {
  generation_id?: string;
  songs?: UdioSong[] | null;
}

/** A media file in a Luma output. */
export interface LumaMedia extends Open {
  url?: string;
  width?: number;
  height?: number;
}

/** `luma` (Dream Machine). The 2024 shape nested everything under `generation`. */
export interface LumaOutput extends Open {
  prompt?: string;
  internal_state?: string;
  created_at?: string;
  video?: LumaMedia | null;
  video_raw?: LumaMedia | null;
  thumbnail?: LumaMedia | null;
  last_frame?: LumaMedia | null;
  generation?: Open;
}

/** A Kling cover or video. */
export interface KlingResource extends Open {
  resource?: string;
  resource_without_watermark?: string;
  width?: number;
  height?: number;
  duration?: number;
}

/** `kling`. Some versions send a top-level `video_url` or `video` instead of `works`. */
export interface KlingOutput extends Open {
  type?: string;
  status?: number;
  works?: Array<{ status?: number; type?: string; cover?: KlingResource; video?: KlingResource } & Open>;
  video_url?: string;
  video?: string;
}

/** `hailuo`. */
export interface HailuoOutput extends Open {
  /** 0 to 100. */
  percent?: number;
  cover_url?: string;
  video_url?: string;
  download_url?: string;
  status?: number;
  width?: number;
  height?: number;
}

/** Flux and the Qubico image toolkit: one image. */
export interface ImageOutput extends Open {
  image_url?: string;
  image_urls?: string[];
  image_base64?: string;
}

/** The Qubico video models and toolkit: one video. */
export interface VideoOutput extends Open {
  video_url?: string;
}

/** The Qubico audio models: one audio file. */
export interface AudioOutput extends Open {
  audio_url?: string;
}

/** `Qubico/trellis`: a 3D model. */
export interface TrellisOutput extends Open {
  model_file?: string;
  no_background_image?: string;
  combined_video?: string;
}

/** Output types by model, for the models PiAPI documents. */
export interface PiapiOutputs {
  midjourney: MidjourneyOutput;
  'music-s': SunoOutput;
  'music-u': UdioOutput;
  luma: LumaOutput;
  kling: KlingOutput;
  hailuo: HailuoOutput;
  'Qubico/flux1-dev': ImageOutput;
  'Qubico/flux1-schnell': ImageOutput;
  'Qubico/flux1-dev-advanced': ImageOutput;
  'Qubico/image-toolkit': ImageOutput;
  'Qubico/video-toolkit': VideoOutput;
  'Qubico/hunyuan': VideoOutput;
  'Qubico/wanx': VideoOutput;
  'Qubico/skyreels': VideoOutput;
  'Qubico/trellis': TrellisOutput;
  'Qubico/mmaudio': AudioOutput;
  'Qubico/tts': AudioOutput;
  'Qubico/ace-step': AudioOutput;
}

type FluxTaskType =
  | 'txt2img'
  | 'img2img'
  | 'txt2img-lora'
  | 'img2img-lora'
  | 'controlnet-lora'
  | 'fill-inpaint'
  | 'fill-outpaint'
  | 'redux-variation'
  | 'kontext';

/** The task types PiAPI documents for each model. */
export interface PiapiTaskTypes {
  midjourney:
    'imagine' | 'upscale' | 'variation' | 'reroll' | 'describe' | 'seed' | 'blend' | 'inpaint' | 'outpaint' | 'pan';
  'music-s': 'generate_music' | 'generate_music_custom' | 'generate_lyrics';
  'music-u': 'generate_music' | 'generate_music_custom' | 'generate_lyrics';
  luma: 'video_generation';
  kling: 'video_generation' | 'effects' | 'lip_sync' | 'extend_video' | 'ai_try_on';
  hailuo: 'video_generation';
  'Qubico/flux1-dev': FluxTaskType;
  'Qubico/flux1-schnell': FluxTaskType;
  'Qubico/flux1-dev-advanced': FluxTaskType;
  'Qubico/image-toolkit': 'face-swap' | 'multi-face-swap' | 'background-remove' | 'segment' | 'upscale';
  'Qubico/video-toolkit': 'face-swap' | 'upscale';
  'Qubico/hunyuan': 'txt2video' | 'fast-txt2video' | 'img2video-concat' | 'img2video-replace' | 'txt2video-lora';
  'Qubico/wanx': 'txt2video-1.3b' | 'txt2video-14b' | 'img2video-14b' | 'txt2video-14b-lora' | (string & {});
  'Qubico/skyreels': 'img2video';
  'Qubico/trellis': 'image-to-3d' | 'text-to-3d';
  'Qubico/mmaudio': 'video2audio';
  'Qubico/tts': 'zero-shot';
  'Qubico/ace-step': 'txt2audio' | (string & {});
}

/** A model whose output PiAPI documents. */
export type KnownModel = keyof PiapiOutputs;

/**
 * A task of a known model (and task type), with its `output` typed. Narrow a
 * `PiapiTask` to it with {@link isModel} or {@link isTaskOf}.
 */
export type PiapiTaskOf<M extends KnownModel, T extends PiapiTaskTypes[M] = PiapiTaskTypes[M]> = Omit<
  PiapiTask,
  'model' | 'task_type' | 'output'
> & {
  model: M;
  task_type: T;
  output?: PiapiOutputs[M] | null;
};

/**
 * Every known-model task, as a discriminated union: after {@link isKnownModel},
 * `switch (task.model)` narrows `output` by itself.
 */
export type KnownPiapiTask = { [M in KnownModel]: PiapiTaskOf<M> }[KnownModel];
