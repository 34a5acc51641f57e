import {
  piapiWebhookHandler,
  type PiapiTask,
  type PiapiWebhookContext,
  type PiapiWebhookOptions,
  type WebhookOutcome,
} from '../../lib/fetch/index.js';
import { NOW_MS, SECRET } from '../helpers/notifications.js';

export const URL = 'http://localhost/piapi/webhook';

/** A Fetch handler recording what it hands out; `handled` resolves at each onTask call, in order. */
export function createHandler(options: Partial<PiapiWebhookOptions> = {}) {
  const received: Array<{ task: PiapiTask; context: PiapiWebhookContext }> = [];
  const outcomes: WebhookOutcome[] = [];
  let onReceived: () => void = () => undefined;
  const handle = piapiWebhookHandler({
    secret: SECRET,
    now: () => NOW_MS,
    onTask: (task, context) => {
      received.push({ task, context });
      onReceived();
    },
    onOutcome: (outcome) => void outcomes.push(outcome),
    ...options,
  });
  /** Resolves once onTask has been called `count` times in all. */
  const handledTimes = (count: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (received.length >= count) resolve();
      };
      const previous = onReceived;
      onReceived = () => {
        previous();
        check();
      };
      check();
    });
  return { handle, received, outcomes, handledTimes };
}

/** A JSON POST with the secret, or without it when `secret` is null. */
export function post(body: unknown, secret: string | null = SECRET, headers: Record<string, string> = {}): Request {
  const all: Record<string, string> = { 'content-type': 'application/json', ...headers };
  if (secret !== null) all['x-webhook-secret'] = secret;
  return new Request(URL, {
    method: 'POST',
    headers: all,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/**
 * A body stream that produces `chunks` chunks of `chunkSize` bytes on demand,
 * and records how many it was asked for and whether it was cancelled. Nothing
 * is produced before a reader asks (highWaterMark 0).
 */
export function meteredStream(chunks: number, chunkSize: number, firstChunk?: Uint8Array) {
  const meter = { pulled: 0, bytes: 0, cancelled: false };
  const chunk = new Uint8Array(chunkSize).fill(0x20);
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (meter.pulled >= chunks) {
          controller.close();
          return;
        }
        const next = meter.pulled === 0 && firstChunk !== undefined ? firstChunk : chunk;
        meter.pulled += 1;
        meter.bytes += next.byteLength;
        controller.enqueue(next);
      },
      cancel() {
        meter.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, meter };
}

/** A POST whose body is `stream`. */
export function streamingPost(
  stream: ReadableStream<Uint8Array>,
  secret: string | null = SECRET,
  headers: Record<string, string> = {},
): Request {
  const all: Record<string, string> = { 'content-type': 'application/json', ...headers };
  if (secret !== null) all['x-webhook-secret'] = secret;
  return new Request(URL, { method: 'POST', headers: all, body: stream, duplex: 'half' });
}

/** A waitUntil that, like workerd's, throws when called detached from its context. */
export class ExecutionContextLike {
  readonly #promises: Array<Promise<unknown>> = [];
  get promises(): ReadonlyArray<Promise<unknown>> {
    return this.#promises;
  }
  waitUntil(promise: Promise<unknown>): void {
    if (!(this instanceof ExecutionContextLike)) throw new TypeError('Illegal invocation');
    this.#promises.push(promise);
  }
}

/** The JSON body of an answer. */
export async function bodyOf(response: Response): Promise<{ error?: string; message?: string; ok?: boolean }> {
  return (await response.json()) as { error?: string; message?: string; ok?: boolean };
}
