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
 * Reads a request's body, refusing it as soon as it is known to pass
 * `limitBytes`: from its content-length before a byte is read, or while
 * streaming, counting bytes as they arrive and cancelling the rest. A declared
 * length is never trusted to bound the body: a `Request` built in-process (a
 * proxy, a test, a framework) may declare 100 bytes and stream gigabytes, so
 * bytes are counted on every path, and a 1 GB body costs at most `limitBytes`
 * of memory. `onCancel` is handed the function that cancels the read (the body
 * took longer than `bodyTimeoutMs`).
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
