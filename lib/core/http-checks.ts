import { parse as parseContentType } from 'content-type';
import { PiapiWebhookRejection } from './errors.js';
import type { Platform } from './platform.js';

/** Compares two digests of the same length without an early exit. */
function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let index = 0; index < a.length; index += 1) difference |= (a[index] ?? 0) ^ (b[index] ?? 0);
  return difference === 0;
}

/**
 * Builds the secret check. PiAPI sends the secret as-is in `x-webhook-secret`
 * (there is no HMAC). Both sides are hashed first so that the comparison takes the
 * same time whatever the header's length, and every configured secret is compared,
 * so the time does not reveal which one matched.
 *
 * @param secrets - the accepted secrets (several during a rotation)
 * @returns a function that throws a {@link PiapiWebhookRejection} unless the header matches
 */
export function createSecretCheck(
  secrets: readonly string[],
  platform: Platform,
): (header: string | undefined) => void {
  const expected = secrets.map((secret) => platform.sha256(secret));

  return function checkSecret(header) {
    if (header === undefined || header === '') throw new PiapiWebhookRejection('missing_secret');
    const received = platform.sha256(header);
    let matched = false;
    for (const candidate of expected) matched = digestsEqual(received, candidate) || matched;
    if (!matched) throw new PiapiWebhookRejection('invalid_secret');
  };
}

/**
 * Refuses a timestamp further than `maxSkewSeconds` from the clock, in either
 * direction, so a captured delivery cannot be replayed later.
 */
export function checkTimestamp(timestamp: number, nowMs: number, maxSkewSeconds: number): void {
  const skew = timestamp - nowMs / 1000;
  if (Math.abs(skew) > maxSkewSeconds) {
    throw new PiapiWebhookRejection(
      'stale_timestamp',
      `The timestamp is ${Math.round(Math.abs(skew))} s in the ${skew < 0 ? 'past' : 'future'}; at most ${maxSkewSeconds} s is accepted.`,
    );
  }
}

/**
 * Accepts `application/json` with any parameters. The body is always read as
 * UTF-8, the only encoding RFC 8259 allows between systems, so a `charset`
 * parameter is tolerated rather than trusted.
 */
export function checkMediaType(contentType: string | undefined, contentEncoding: string | undefined): void {
  // The exact value senders use needs no parser.
  let type: string | undefined = contentType === 'application/json' ? contentType : undefined;
  try {
    if (type === undefined && contentType !== undefined) type = parseContentType(contentType).type;
  } catch {
    type = undefined;
  }
  if (type !== 'application/json') {
    throw new PiapiWebhookRejection('unsupported_media_type');
  }
  if (contentEncoding !== undefined && contentEncoding.toLowerCase() !== 'identity') {
    throw new PiapiWebhookRejection(
      'unsupported_media_type',
      'Compressed bodies are not accepted; send the body without content-encoding.',
    );
  }
}
