/** The HTTP parts of the fake PiAPI (`createFakePiapi`): answering, reading JSON, and posting a webhook. */
import { request, type IncomingMessage, type ServerResponse } from 'node:http';

/** Answers with a JSON value, or with raw text. */
export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
  res.end(text);
}

/** The request's body, parsed as JSON. */
export function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/**
 * One webhook POST as PiAPI sends it (`content-type: application/json`,
 * `x-webhook-secret`), on a fresh connection. Calls `done` once, with the HTTP
 * status, or the connection error's code (`ECONNREFUSED`, `ETIMEDOUT`, …), and
 * the endpoint's `x-piapi-webhook-outcome` header when it sent one.
 *
 * @param endpoint - the webhook URL
 * @param secret - sent as `x-webhook-secret`
 * @param body - the notification, as JSON text
 * @param timeoutMs - how long to wait for the answer before giving up (`ETIMEDOUT`)
 * @param done - called once with the result
 */
export function postWebhook(
  endpoint: string,
  secret: string,
  body: string,
  timeoutMs: number,
  done: (result: number | string, outcome?: string) => void,
): void {
  let finished = false;
  const finish = (result: number | string, outcome?: string): void => {
    if (finished) return;
    finished = true;
    done(result, outcome);
  };
  let req;
  try {
    req = request(endpoint, {
      method: 'POST',
      // A fresh connection each time: a pooled socket to a killed instance would fail for the wrong reason.
      agent: false,
      timeout: timeoutMs,
      headers: {
        'content-type': 'application/json',
        'x-webhook-secret': secret,
        'content-length': Buffer.byteLength(body),
      },
    });
  } catch (error) {
    // An endpoint that is not an http URL: a failed attempt, as PiAPI would count it.
    finish((error as NodeJS.ErrnoException).code ?? 'EINVALIDURL');
    return;
  }
  req.on('response', (res) => {
    const outcome = res.headers['x-piapi-webhook-outcome'];
    res.resume();
    res.on('end', () => finish(res.statusCode ?? 0, typeof outcome === 'string' ? outcome : undefined));
    res.on('error', () => finish('ERESPONSE'));
  });
  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
  req.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? 'EERROR'));
  req.end(body);
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence, so a run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
