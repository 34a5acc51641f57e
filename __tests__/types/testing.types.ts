/**
 * Type-level tests for piapi-webhook/testing, checked by `tsc` (npm run
 * typecheck, part of npm test). Each `@ts-expect-error` line must fail to compile.
 */
import type { KlingOutput, MidjourneyOutput, PiapiNotification, SunoOutput } from '../../lib/index.js';
import { fixture, sendNotification, type FixtureName } from '../../lib/testing/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(): T => true as T;

// A fixture is typed by its name: the model, the task type, and the output.
const midjourney = fixture('midjourney-imagine-completed');
expectType<Equal<typeof midjourney.data.output, MidjourneyOutput>>();
expectType<Equal<typeof midjourney.data.model, 'midjourney'>>();
expectType<Equal<typeof midjourney.data.task_type, 'imagine'>>();
const grid: string[] | null | undefined = midjourney.data.output.image_urls;
void grid;
// @ts-expect-error a Midjourney output has no clips
void midjourney.data.output.clips.length;

expectType<Equal<ReturnType<typeof fixture<'kling-video-generation-completed'>>['data']['output'], KlingOutput>>();
expectType<Equal<ReturnType<typeof fixture<'suno-generate-music-custom-completed'>>['data']['output'], SunoOutput>>();
// A fixture without output says so.
expectType<Equal<ReturnType<typeof fixture<'suno-generate-music-failed'>>['data']['output'], null>>();

// Overriding the status or the timestamp keeps the types.
const failed = fixture('midjourney-imagine-completed', { status: 'failed', timestamp: 1 });
expectType<Equal<typeof failed.data.output, MidjourneyOutput>>();
// Overriding the model or the output gives up on them.
const other = fixture('midjourney-imagine-completed', { model: 'kling' });
expectType<Equal<typeof other, PiapiNotification>>();
const changed = fixture('midjourney-imagine-completed', { output: { whatever: 1 } });
expectType<Equal<typeof changed, PiapiNotification>>();

// A typed fixture is still a notification, so it can be sent.
const asNotification: PiapiNotification = midjourney;
void asNotification;
void sendNotification('http://127.0.0.1:9/piapi/webhook', midjourney, { secret: 's' });

// @ts-expect-error an unknown fixture name
fixture('midjourney-imagine-done');
const name: FixtureName = 'luma-video-generation-pending';
void name;
