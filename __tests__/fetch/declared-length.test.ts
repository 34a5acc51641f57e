/**
 * Issue 18, item 12: the Fetch handler never trusts a declared content-length.
 * A `Request` built in-process can declare one length and stream another, so
 * bytes are counted on every path, and a body that stalls past `bodyTimeoutMs`
 * is cancelled even when it declared its length.
 */
import { notification } from '../helpers/notifications.js';
import { eventually } from '../helpers/wait.js';
import { bodyOf, createHandler, meteredStream, streamingPost } from './helpers.js';

describe('piapiWebhookHandler and a declared content-length', () => {
  it('refuses a body that declares 100 bytes and streams 8 MB after reading little more than the limit', async () => {
    const chunkSize = 64 * 1024;
    const { handle, received } = createHandler({ limit: '1mb' });
    const { stream, meter } = meteredStream((8 * 1024 * 1024) / chunkSize, chunkSize);
    const response = await handle(streamingPost(stream, undefined, { 'content-length': '100' }));
    expect(response.status).toBe(413);
    expect((await bodyOf(response)).error).toBe('payload_too_large');
    expect(meter.bytes).toBeLessThanOrEqual(1024 * 1024 + 2 * chunkSize);
    expect(meter.cancelled).toBe(true);
    expect(received).toHaveLength(0);
  });

  it('still accepts a genuine body that declares its true length', async () => {
    const body = new TextEncoder().encode(JSON.stringify(notification()));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(body.subarray(0, 10));
        controller.enqueue(body.subarray(10));
        controller.close();
      },
    });
    const { handle, handledTimes } = createHandler();
    const response = await handle(streamingPost(stream, undefined, { 'content-length': String(body.byteLength) }));
    expect(response.status).toBe(200);
    await handledTimes(1);
  });

  it('answers 408 body_timeout to a body that declared its length and stalls, and stops reading it', async () => {
    let cancelled = false;
    let pulls = 0;
    // One chunk, then nothing: the rest of the declared length never arrives.
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulls += 1;
          if (pulls === 1) controller.enqueue(new TextEncoder().encode('{"timestamp":'));
          else return new Promise<void>(() => undefined);
          return undefined;
        },
        cancel() {
          cancelled = true;
        },
      },
      { highWaterMark: 0 },
    );
    const { handle, received } = createHandler({ bodyTimeoutMs: 200 });
    const response = await handle(streamingPost(stream, undefined, { 'content-length': '500' }));
    expect(response.status).toBe(408);
    expect((await bodyOf(response)).error).toBe('body_timeout');
    await eventually(() => cancelled, 'the stalled body to be cancelled');
    expect(received).toHaveLength(0);
  });
});
