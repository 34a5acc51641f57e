import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { PiapiWebhookRejection, type RejectionReason } from '../core/errors.js';

/** What body parsers leave on the request. */
type ParsedRequest = IncomingMessage & { body?: unknown; _body?: boolean };

/** raw-body's error `type`s, mapped to this package's reasons. */
const RAW_BODY_REASONS: Readonly<Record<string, RejectionReason>> = {
  'entity.too.large': 'payload_too_large',
  'request.aborted': 'invalid_body',
  'request.size.invalid': 'invalid_body',
  'stream.not.readable': 'body_unavailable',
  'stream.encoding.set': 'body_unavailable',
};

function hasParsedBody(body: unknown): boolean {
  return Buffer.isBuffer(body) || typeof body === 'string' || (typeof body === 'object' && body !== null);
}

/**
 * Reads the request body with raw-body (what body-parser uses), capped at
 * `limitBytes`, and calls back once. When an app-wide `express.json()`,
 * `express.raw()` or `express.text()` already read the stream, its result is used
 * instead: reading an ended stream again would hang or fail.
 */
export function readRequestBody(
  req: IncomingMessage,
  limitBytes: number,
  callback: (error: PiapiWebhookRejection | undefined, body?: unknown) => void,
): void {
  const parsed = req as ParsedRequest;
  // body-parser 1 (Express 4) sets _body; body-parser 2 (Express 5) leaves an ended stream.
  if (parsed._body === true || !req.readable) {
    if (hasParsedBody(parsed.body)) callback(undefined, parsed.body);
    else callback(new PiapiWebhookRejection('body_unavailable'));
    return;
  }
  const length = req.headers['content-length'] ?? null;
  getRawBody(req, { length, limit: limitBytes }, (error, body) => {
    if (error === null || error === undefined) {
      callback(undefined, body);
      return;
    }
    const type = (error as { type?: unknown }).type;
    callback(new PiapiWebhookRejection((typeof type === 'string' && RAW_BODY_REASONS[type]) || 'invalid_body'));
  });
}
