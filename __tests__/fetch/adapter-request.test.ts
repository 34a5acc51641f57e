/**
 * A server adapter's own Request (@hono/node-server's lightweight one) reads its
 * body straight off the HTTP connection with its own arrayBuffer(); touching its
 * `body` makes the adapter build a second, native Request around a web stream,
 * which on Node cost more than the rest of a delivery (BENCHMARKS.md). With a
 * declared length within the limit, the handler reads such a Request through its
 * own read and still counts the bytes it gets; the runtime's Request class, and
 * its subclasses, are still read through a reader that counts and cancels.
 */
import { notification, SECRET } from '../helpers/notifications.js';
import { bodyOf, createHandler, meteredStream, URL } from './helpers.js';

/**
 * A Request of a server adapter's own, built as @hono/node-server 2 builds
 * its lightweight one: an object whose prototype chain reaches
 * Request.prototype, with its own arrayBuffer(). `touched` counts reads of
 * `body`, which the real one answers by building a native Request.
 */
function adapterRequest(bytes: Uint8Array, declaredLength: number) {
  const seen = { touched: 0, reads: 0 };
  let used = false;
  const headers = new Headers({
    'content-type': 'application/json',
    'content-length': String(declaredLength),
    'x-webhook-secret': SECRET,
  });
  const prototype = Object.create(Request.prototype, {
    method: { get: () => 'POST' },
    url: { get: () => URL },
    headers: { get: () => headers },
    bodyUsed: { get: () => used },
    body: {
      get: () => {
        seen.touched += 1;
        return new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(bytes);
            controller.close();
          },
        });
      },
    },
    arrayBuffer: {
      value: () => {
        seen.reads += 1;
        used = true;
        return Promise.resolve(bytes.slice().buffer);
      },
    },
  }) as object;
  return { request: Object.create(prototype) as Request, seen };
}

describe('piapiWebhookHandler and a server adapter’s own Request', () => {
  it('reads a body of declared length through the adapter’s own read, never touching its stream', async () => {
    const bytes = new TextEncoder().encode(JSON.stringify(notification()));
    const { handle, handledTimes } = createHandler();
    const { request, seen } = adapterRequest(bytes, bytes.byteLength);
    const response = await handle(request);
    expect(response.status).toBe(200);
    await handledTimes(1);
    expect(seen).toEqual({ touched: 0, reads: 1 });
  });

  it('still counts the bytes it gets: more than the limit is refused, whatever length was declared', async () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ ...notification(), padding: 'x'.repeat(2048) }));
    const { handle, received } = createHandler({ limit: 1024 });
    const { request } = adapterRequest(bytes, 100);
    const response = await handle(request);
    expect(response.status).toBe(413);
    expect((await bodyOf(response)).error).toBe('payload_too_large');
    expect(received).toHaveLength(0);
  });

  it('refuses a declared length over the limit before reading anything', async () => {
    const bytes = new TextEncoder().encode(JSON.stringify(notification()));
    const { handle } = createHandler({ limit: 1024 });
    const { request, seen } = adapterRequest(bytes, 4096);
    const response = await handle(request);
    expect(response.status).toBe(413);
    expect(seen.reads).toBe(0);
  });

  it('reads a subclass of the runtime’s Request (as Next’s NextRequest) through a reader that counts and cancels', async () => {
    class SubRequest extends Request {}
    const chunkSize = 64 * 1024;
    const { stream, meter } = meteredStream((8 * 1024 * 1024) / chunkSize, chunkSize);
    const { handle, received } = createHandler({ limit: '1mb' });
    const request = new SubRequest(URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '100', 'x-webhook-secret': SECRET },
      body: stream,
      duplex: 'half',
    });
    const response = await handle(request);
    expect(response.status).toBe(413);
    expect(meter.bytes).toBeLessThanOrEqual(1024 * 1024 + 2 * chunkSize);
    expect(meter.cancelled).toBe(true);
    expect(received).toHaveLength(0);
  });
});
