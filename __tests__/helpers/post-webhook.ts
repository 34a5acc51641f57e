import { request } from 'node:http';

/**
 * One webhook POST as PiAPI sends it (`content-type: application/json`,
 * `x-webhook-secret`), on a fresh connection. Calls `done` once, with the HTTP
 * status, or the connection error's code (`ECONNREFUSED`, `ETIMEDOUT`, …), and
 * the endpoint's `x-piapi-webhook-outcome` header when it sent one.
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
  const req = request(endpoint, {
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
