import { PiapiWebhookRejection } from '../core/errors.js';

/** Lets go of a body that will not be read, so the runtime can drop it rather than buffer it. */
export function discardBody(request: Request): void {
  const { body } = request;
  if (body !== null && !body.locked) body.cancel().catch(() => undefined);
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/**
 * Whether `request` is a server adapter's own Request that reads its body
 * straight from an HTTP connection (@hono/node-server's lightweight Request):
 * its `arrayBuffer()` is its own, not the runtime's. On such a Request the
 * runtime's HTTP parser already holds the body to its declared length, and
 * touching `request.body` would make the adapter build a second, native
 * Request around a web stream (on Node, more than the rest of a delivery
 * costs). The runtime's own Request class (undici on Node, Bun, Deno, workerd),
 * subclasses included (Next's NextRequest), can carry any stream a caller gave
 * it in-process, and is read through a reader.
 */
function readsFromConnection(request: Request): boolean {
  return typeof Request === 'function' && request.arrayBuffer !== Request.prototype.arrayBuffer;
}

/** A server adapter's own read (see readsFromConnection), its bytes still counted against the limit. */
async function readWhole(request: Request, limitBytes: number): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await request.arrayBuffer());
  } catch {
    throw new PiapiWebhookRejection('invalid_body');
  }
  if (bytes.byteLength > limitBytes) throw new PiapiWebhookRejection('payload_too_large');
  return bytes;
}

/**
 * Reads a request's body, refusing it as soon as it is known to pass
 * `limitBytes`: from its content-length before a byte is read, or while
 * streaming, counting bytes as they arrive and cancelling the rest. A declared
 * length is never trusted to bound the body: a `Request` built in-process (a
 * proxy, a test, a framework) may declare 100 bytes and stream gigabytes, so
 * bytes are counted on every path, and a 1 GB body costs at most `limitBytes`
 * of memory. `onCancel` is handed the function that cancels the read (the body
 * took longer than `bodyTimeoutMs`). The one exception is a server adapter's
 * own Request with a declared length within the limit (see readsFromConnection):
 * its body comes off an HTTP connection whose parser stops at that length, and
 * the adapter drains or closes what is left after the answer (@hono/node-server
 * 2 drains for at most 500 ms, then closes the socket); its bytes are counted
 * once read.
 */
export async function readLimitedBody(
  request: Request,
  limitBytes: number,
  onCancel?: (cancel: () => void) => void,
): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limitBytes) {
    discardBody(request);
    throw new PiapiWebhookRejection('payload_too_large');
  }
  // Read already: Hono's c.req.json(), or a second handle() of the same Request.
  if (request.bodyUsed) throw new PiapiWebhookRejection('body_unavailable');
  if (declared !== null && /^\d+$/.test(declared) && readsFromConnection(request))
    return readWhole(request, limitBytes);
  if (request.body === null) return new Uint8Array(0);

  const reader: ReadableStreamDefaultReader<Uint8Array> = request.body.getReader();
  onCancel?.(() => void reader.cancel().catch(() => undefined));
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      total += value.byteLength;
      if (total > limitBytes) {
        reader.cancel().catch(() => undefined);
        throw new PiapiWebhookRejection('payload_too_large');
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof PiapiWebhookRejection) throw error;
    throw new PiapiWebhookRejection('invalid_body');
  } finally {
    // An ended stream has nothing left to lock; on Node 20 the first releaseLock() costs ~3 ms (it builds an error for `closed`).
    if (!ended) reader.releaseLock();
  }
  return concat(chunks, total);
}
