/**
 * The checks every runtime must pass, and the requests they send.
 */
import { connect } from 'node:net';
import { createNotification, deliveryHeaders } from '../../lib/testing/index.js';
import { DEADLINE_MS, SECRET } from './servers';

/** What a consumer app's `GET /handled` lists: the task_ids its onTask has finished, in order. */
async function handled(url: string): Promise<string[]> {
  return (await (await fetch(`${url}/handled`)).json()) as string[];
}

/** Polls `GET /handled` until it lists `taskId`, or fails at the deadline with what it listed. */
async function waitUntilHandled(url: string, taskId: string): Promise<string[]> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const list = await handled(url);
    if (list.includes(taskId)) return list;
    if (Date.now() > deadline) throw new Error(`onTask never finished ${taskId}; handled: ${JSON.stringify(list)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A POST of `body` with PiAPI's headers; the answer's status and JSON body. */
export async function post(url: string, body: string, secret = SECRET): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: deliveryHeaders(secret), body });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: response.status, body: text };
  }
}

/**
 * Sends a request over a raw socket and resolves with the answer's status and
 * JSON body, once the answer is complete or the server has closed. Refusing
 * an oversized body means the server stops reading it: a client such as fetch
 * then fails its own write (EPIPE) and loses the answer, while this one keeps
 * reading. It resolves only on events, never on a timer.
 */
export function rawPost(
  hookUrl: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; body: unknown }> {
  const { hostname, port, pathname } = new URL(hookUrl);
  const head = [
    `POST ${pathname} HTTP/1.1`,
    `host: ${hostname}:${port}`,
    ...Object.entries({ ...deliveryHeaders(SECRET), ...headers }).map(([k, v]) => `${k}: ${v}`),
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    const parsed = (): { status: number; body: unknown } | undefined => {
      const text = received.toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return undefined;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, split))?.[1];
      const rest = received.subarray(Buffer.byteLength(text.slice(0, split + 4), 'latin1'));
      let bodyText: string;
      if (length !== undefined) {
        if (rest.length < Number(length)) return undefined;
        bodyText = rest.subarray(0, Number(length)).toString('utf8');
      } else {
        // Chunked: complete at the last chunk; a body of one JSON value is all we need.
        const chunked = rest.toString('utf8');
        if (!chunked.includes('\r\n0\r\n\r\n')) return undefined;
        bodyText = chunked
          .split('\r\n')
          .filter((_, index) => index % 2 === 1)
          .join('');
      }
      try {
        return { status, body: JSON.parse(bodyText) as unknown };
      } catch {
        return { status, body: bodyText };
      }
    };
    const settle = (error?: Error): void => {
      const answer = parsed();
      socket.destroy();
      if (answer) resolve(answer);
      else reject(error ?? new Error(`incomplete answer: ${JSON.stringify(received.toString('latin1'))}`));
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (parsed()) settle();
    });
    socket.once('end', () => settle());
    // EPIPE or ECONNRESET once the server has answered and closed is expected: the answer decides.
    socket.once('error', (error) => settle(error));
    socket.write(`${head.join('\r\n')}\r\n\r\n`);
    socket.write(body);
  });
}

/**
 * A chunked body of `kilobytes` kB, without its last chunk: only a server that
 * stops reading past its limit can answer it.
 */
export function streamedPastLimit(kilobytes: number): string {
  const chunk = `${(1024).toString(16)}\r\n${'x'.repeat(1024)}\r\n`;
  return `1\r\n{\r\n${chunk.repeat(kilobytes)}`;
}

/**
 * The checks every runtime must pass, against a consumer app (see apps/) whose
 * hook is at `hookUrl` and whose `GET /handled` is at `url`: a genuine delivery
 * answered 200 and handled; a wrong secret 401; the same delivery again answered
 * 200 and not handled (the apps run one handler at a time, in order, so once a
 * later delivery is handled, a duplicate's handler would have run before it);
 * an oversized body 413, announced or streamed.
 */
export async function expectReceiverBehaviour(url: string, hookUrl = `${url}/hook`): Promise<void> {
  const genuine = createNotification();
  const genuineId = genuine.data.task_id;
  expect(await post(hookUrl, JSON.stringify(genuine))).toEqual({ status: 200, body: { ok: true } });
  expect(await waitUntilHandled(url, genuineId)).toEqual([genuineId]);

  expect(await post(hookUrl, JSON.stringify(createNotification()), 'wrong-secret')).toMatchObject({
    status: 401,
    body: { error: 'invalid_secret' },
  });

  expect(await post(hookUrl, JSON.stringify(genuine))).toEqual({ status: 200, body: { ok: true } });
  const later = createNotification();
  expect(await post(hookUrl, JSON.stringify(later))).toEqual({ status: 200, body: { ok: true } });
  expect(await waitUntilHandled(url, later.data.task_id)).toEqual([genuineId, later.data.task_id]);

  const oversized = JSON.stringify({ ...createNotification(), padding: 'x'.repeat(16 * 1024) });
  const tooLarge = { status: 413, body: expect.objectContaining({ error: 'payload_too_large' }) };
  expect(await rawPost(hookUrl, { 'content-length': String(Buffer.byteLength(oversized)) }, oversized)).toEqual(
    tooLarge,
  );
  expect(await rawPost(hookUrl, { 'transfer-encoding': 'chunked' }, streamedPastLimit(9))).toEqual(tooLarge);
  expect(await handled(url)).toEqual([genuineId, later.data.task_id]);
}
