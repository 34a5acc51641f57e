import type { PiapiNotification } from '../core/types.js';

/** Options for {@link createRequest}. */
export interface CreateRequestOptions {
  /** The secret to send in `x-webhook-secret`. */
  secret: string;
  /**
   * Where the request is addressed; Fetch handlers ignore it unless they route on it.
   * @defaultValue 'http://localhost/piapi/webhook'
   */
  url?: string | URL;
}

/**
 * A Web-standard `Request` carrying a notification the way PiAPI delivers it (a
 * JSON POST with the secret in `x-webhook-secret`), for testing a Fetch handler
 * without a server.
 *
 * @param notification - the notification to send, e.g. from `createNotification()` or `fixture()`
 * @param options - see {@link CreateRequestOptions}
 *
 * @example
 * ```ts
 * const response = await handle(createRequest(createNotification(), { secret }));
 * expect(response.status).toBe(200);
 * ```
 */
export function createRequest(notification: PiapiNotification, options: CreateRequestOptions): Request {
  return new Request(options.url ?? 'http://localhost/piapi/webhook', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-webhook-secret': options.secret },
    body: JSON.stringify(notification),
  });
}
