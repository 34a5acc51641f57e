import bytes from 'bytes';
import { PiapiWebhookConfigError } from './errors.js';
import { codePoint, describe, NON_LATIN1, NOT_FIELD_VALUE } from './option-checks.js';

// The units `bytes` documents, up to gigabytes (a webhook body is never bigger).
// Anything else ('10 megs', '1.5m') must be refused here: bytes.parse falls back
// to parseInt and would turn it into 10 or 1 byte, so every delivery would get 413.
const SIZE_PATTERN = /^\d+(\.\d+)?\s*(b|kb|mb|gb)$/i;

/**
 * Parses `limit`: a positive whole number of bytes, or a size string such as
 * `'512kb'` or `'1.5mb'` (units `b`, `kb`, `mb`, `gb`, any case).
 * @param value - the user's `limit` option
 * @throws PiapiWebhookConfigError naming the bad value and an example
 */
export function parseLimit(value: unknown): number {
  const parsed = typeof value === 'string' && SIZE_PATTERN.test(value) ? bytes.parse(value) : value;
  if (typeof parsed !== 'number' || !Number.isSafeInteger(parsed) || parsed <= 0) {
    throw new PiapiWebhookConfigError(
      'limit',
      `must be a positive whole number of bytes or a size with a unit of b, kb, mb or gb, such as 1048576, '512kb' or '1.5mb', received ${describe(value)}.`,
    );
  }
  return parsed;
}

/**
 * Node's default cap on all request headers together (`--max-http-header-size`);
 * a longer secret could never arrive, and proxies often allow less.
 */
const MAX_SECRET_LENGTH = 16 * 1024;

/** Why `secret` could never arrive in an HTTP header, or undefined if it can. Never quotes the secret. */
function headerProblem(secret: string): string | undefined {
  // HTTP strips surrounding whitespace from header values, so such a secret could never match.
  if (secret.trim() !== secret) {
    return 'has leading or trailing whitespace, which an HTTP header can never carry. Trim it (a trailing newline from a .env file?).';
  }
  if (secret.length > MAX_SECRET_LENGTH) {
    return `is ${secret.length} characters long; HTTP servers refuse headers over ${MAX_SECRET_LENGTH} bytes (Node's default for all headers together, and proxies often allow less). Use a random secret of 32 to 64 characters.`;
  }
  const wide = NON_LATIN1.exec(secret);
  if (wide !== null) {
    return `has a character beyond U+00FF at position ${wide.index + 1}. HTTP headers carry Latin-1 bytes, so a secret sent as UTF-8 arrives as different characters and will never match. Use ASCII letters, digits and punctuation.`;
  }
  const control = NOT_FIELD_VALUE.exec(secret);
  if (control !== null) {
    return `has the control character ${codePoint(control[0])} at position ${control.index + 1}, which an HTTP header cannot carry (RFC 9110 allows only visible characters, spaces and tabs). Remove it.`;
  }
  return undefined;
}

/**
 * Parses `secret`: one non-empty string or a non-empty array of them, each of
 * which an HTTP header can carry.
 * @param value - the user's `secret` option
 * @param option - the option's name in errors (`reconcileHandler.secret` is a cron's bearer secret, not PiAPI's)
 * @throws PiapiWebhookConfigError saying why, without echoing the secret
 */
export function parseSecrets(value: unknown, option = 'secret'): string[] {
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0) {
    throw new PiapiWebhookConfigError(option, 'must list at least one secret.');
  }
  const hint =
    option === 'secret'
      ? 'Set it to the secret configured on your PiAPI tasks (webhook_config.secret).'
      : 'Set it to the secret your scheduler sends as "Authorization: Bearer <secret>".';
  return list.map((secret, index) => {
    // The value is never echoed: it may be a real secret with a typo.
    if (typeof secret !== 'string' || secret.length === 0) {
      throw new PiapiWebhookConfigError(
        option,
        `must be a non-empty string or an array of them, received ${secret === '' ? 'an empty string' : `a value of type ${secret === null ? 'null' : typeof secret}`}. ${hint}`,
      );
    }
    const problem = headerProblem(secret);
    if (problem !== undefined) {
      throw new PiapiWebhookConfigError(
        option,
        list.length > 1 ? `(entry ${index + 1} of ${list.length}) ${problem}` : problem,
      );
    }
    return secret;
  });
}
