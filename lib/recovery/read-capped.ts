/** Lets go of a body we will not read; a body already gone or errored is nothing to report. */
async function discard(body: ReadableStream<Uint8Array> | null): Promise<void> {
  await body?.cancel().catch(() => undefined);
}

/**
 * Reads a response's body as UTF-8 text, counting bytes as they arrive. Past
 * `maxBytes` (declared by `content-length`, or streamed) it cancels the rest
 * and resolves undefined: a task is a few KB, and a runaway answer must not be
 * buffered whole. Web streams only, so it runs on any runtime.
 */
export async function readCappedText(response: Response, maxBytes: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await discard(response.body);
    return undefined;
  }
  const { body } = response;
  if (body === null) return '';
  const reader: ReadableStreamDefaultReader<Uint8Array> = body.getReader();
  const decoder = new TextDecoder();
  let total = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
}
