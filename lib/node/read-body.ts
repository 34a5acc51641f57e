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

/**
 * A string left by an upstream parser is raw text (`express.text()`), to be parsed
 * here, unless the body sent was exactly that string as a JSON string literal:
 * then `express.json({ strict: false })` decoded it, and the body was a
 * notification encoded twice, which PiAPI never sends. When unsure (no
 * content-length, or other escaping), it is parsed: the secret has already been
 * checked, and refusing a genuine delivery would lose it.
 */
function isDecodedJsonString(req: IncomingMessage, text: string): boolean {
  const declared = req.headers['content-length'];
  return declared !== undefined && Buffer.byteLength(JSON.stringify(text), 'utf8') === Number(declared);
}

/**
 * What an upstream parser left, as the core takes it: raw bytes as text (decoded
 * here with Node's fast decoder), anything else as is. `undefined` means that no
 * parser ran and something else drained the stream; a parsed `null`, number or
 * boolean (`express.json({ strict: false })`) goes on, and the schema refuses it.
 */
function parsedBody(
  req: ParsedRequest,
  callback: (error: PiapiWebhookRejection | undefined, body?: unknown) => void,
): void {
  const { body } = req;
  if (body === undefined) callback(new PiapiWebhookRejection('body_unavailable'));
  else if (Buffer.isBuffer(body)) callback(undefined, body.toString('utf8'));
  else if (typeof body === 'string' && isDecodedJsonString(req, body)) {
    callback(
      new PiapiWebhookRejection(
        'invalid_payload',
        'The body is a JSON string, not an object: was the notification JSON-encoded twice?',
      ),
    );
  } else callback(undefined, body);
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
    parsedBody(parsed, callback);
    return;
  }
  const length = req.headers['content-length'] ?? null;
  getRawBody(req, { length, limit: limitBytes }, (error, body) => {
    // raw-body's types say an error always comes, but it calls back with null on success.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    if (error === null || error === undefined) {
      // Decoded here rather than in the core: Buffer's decoder is Node's fastest path.
      callback(undefined, body.toString('utf8'));
      return;
    }
    const type = (error as { type?: unknown }).type;
    callback(new PiapiWebhookRejection((typeof type === 'string' && RAW_BODY_REASONS[type]) || 'invalid_body'));
  });
}
