import { PiapiWebhookConfigError } from './errors.js';

/** Beyond U+00FF: not Latin-1. */
export const NON_LATIN1 = /[\u0100-\u{10ffff}]/u;
/**
 * RFC 9110 §5.5: a field value is VCHAR, obs-text (0x80–0xFF), SP and HTAB.
 * Every other control character (NUL, CR, LF, the rest of C0, and DEL) is
 * refused or rewritten by servers, and Node's and fetch's clients refuse to send it.
 */
export const NOT_FIELD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** `U+000A` for a newline: names a character without echoing the text around it. */
export const codePoint = (character: string): string =>
  `U+${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Describes a value for an error message. Never pass it a secret: strings are echoed. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

/**
 * Returns `value` if it is a positive finite number (an integer, if `integer`),
 * or throws a {@link PiapiWebhookConfigError} naming `option`.
 */
export function positiveNumber(option: string, value: unknown, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new PiapiWebhookConfigError(
      option,
      `must be a positive finite ${integer ? 'integer' : 'number'}, received ${describe(value)}.`,
    );
  }
  return value;
}
