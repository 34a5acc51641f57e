import { PiapiWebhookRejection, type RejectionReason } from './errors.js';

/** What the adapter writes back, and what it runs once it has. */
export interface ReceiverAnswer {
  readonly statusCode: number;
  /** The JSON body, encoded as UTF-8 (a plain `Uint8Array`: the core runs where `Buffer` does not exist). */
  readonly body: Uint8Array;
  /** The same JSON body, as text: some Fetch servers answer a string body on a faster path. */
  readonly text: string;
  /** Every header of the answer: content type and length, and `Allow`, `Retry-After` or the outcome where due. */
  readonly headers: Readonly<Record<string, string | number>>;
  /**
   * Starts `onTask`; the adapter calls it once the answer has been written.
   * `finished`, when given, is called once the handler has settled (or failed),
   * for adapters that must keep the platform alive until then (`waitUntil`).
   */
  readonly afterResponse?: (finished?: () => void) => void;
}

/** PiAPI retries about 5 s after a failure; asking for the same keeps the advice honest. */
const RETRY_AFTER_SECONDS = '5';
const EXTRA_HEADERS: Partial<Record<RejectionReason, Readonly<Record<string, string>>>> = {
  method_not_allowed: { allow: 'POST' },
  overloaded: { 'retry-after': RETRY_AFTER_SECONDS },
  draining: { 'retry-after': RETRY_AFTER_SECONDS },
  in_progress: { 'retry-after': RETRY_AFTER_SECONDS },
  store_full: { 'retry-after': RETRY_AFTER_SECONDS },
  verify_unavailable: { 'retry-after': RETRY_AFTER_SECONDS },
};

const utf8 = new TextEncoder();

function jsonAnswer(
  statusCode: number,
  value: unknown,
  extraHeaders?: Readonly<Record<string, string>>,
): ReceiverAnswer {
  const text = JSON.stringify(value);
  const body = utf8.encode(text);
  const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, ...extraHeaders };
  return Object.freeze({ statusCode, body, text, headers: Object.freeze(headers) });
}

/**
 * The answers to a genuine delivery, built once. The outcome header is only
 * ever sent after the secret check, so it tells nothing to a stranger; it lets
 * `piapi-webhook send` (and you) see that a delivery was dropped as a duplicate.
 */
export const ACCEPTED = jsonAnswer(200, { ok: true }, { 'x-piapi-webhook-outcome': 'accepted' });
export const DUPLICATE = jsonAnswer(200, { ok: true }, { 'x-piapi-webhook-outcome': 'duplicate' });

/** The JSON answer to a refused request: `{ error: <reason>, message }`. */
export function rejectionAnswer(rejection: PiapiWebhookRejection): ReceiverAnswer {
  const { reason, statusCode, message } = rejection;
  return jsonAnswer(statusCode, { error: reason, message }, EXTRA_HEADERS[reason]);
}

export { PiapiWebhookRejection };
