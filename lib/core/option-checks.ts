import { PiapiWebhookConfigError } from './errors.js';

/*
 * The checks every option parser shares, each named after what it accepts. Each returns the value it
 * accepted, or throws a PiapiWebhookConfigError naming the option and echoing what it received.
 */

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

/** Any object, arrays and class instances (a pino logger, a Redis store) included: what can hold methods. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** An object that is not an array: what can hold named options. */
export function isNonArrayObject(value: unknown): value is Record<string, unknown> {
  return isObject(value) && !Array.isArray(value);
}

/**
 * Accepts a positive finite number.
 *
 * @param option - the option's name, for the error
 * @param value - what the user passed
 * @param integer - also require an integer; prefer {@link positiveInteger}, which says so in its name
 * @throws PiapiWebhookConfigError otherwise
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

/**
 * Accepts a positive integer.
 *
 * @param option - the option's name, for the error
 * @param value - what the user passed
 * @throws PiapiWebhookConfigError otherwise
 */
export function positiveInteger(option: string, value: unknown): number {
  return positiveNumber(option, value, true);
}

/**
 * Accepts 0 or a positive finite number (0 turns something off).
 *
 * @param option - the option's name, for the error
 * @param value - what the user passed
 * @throws PiapiWebhookConfigError otherwise
 */
export function nonNegativeNumber(option: string, value: unknown): number {
  if (value === 0) return 0;
  return positiveNumber(option, value);
}

/**
 * Accepts 0 or a positive safe integer.
 *
 * @param option - the option's name, for the error
 * @param value - what the user passed
 * @throws PiapiWebhookConfigError otherwise
 */
export function nonNegativeInteger(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new PiapiWebhookConfigError(option, `must be a non-negative integer, received ${describe(value)}.`);
  }
  return value;
}

/**
 * Accepts a function.
 *
 * @param option - the option's name, for the error
 * @param value - what the user passed
 * @throws PiapiWebhookConfigError otherwise
 */
export function aFunction<T>(option: string, value: T): NonNullable<T> {
  if (typeof value !== 'function') {
    throw new PiapiWebhookConfigError(option, `must be a function, received ${describe(value)}.`);
  }
  return value;
}

/**
 * Accepts one of a fixed list of values.
 *
 * @param option - the option's name, for the error
 * @param value - what the user passed
 * @param allowed - the values accepted
 * @throws PiapiWebhookConfigError otherwise
 */
export function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw new PiapiWebhookConfigError(
      option,
      `must be ${allowed.map((item) => `'${item}'`).join(' or ')}, received ${describe(value)}.`,
    );
  }
  return value as T;
}

/**
 * Refuses an unknown key (a typo, or an option of another version) in an options object.
 *
 * @param given - the user's options
 * @param known - the option names
 * @param prefix - prepended to the key in the error (`'recovery.'`)
 * @throws PiapiWebhookConfigError naming the key and listing the known ones
 */
export function knownKeysOnly(given: Record<string, unknown>, known: ReadonlySet<string>, prefix = ''): void {
  for (const key of Object.keys(given)) {
    if (!known.has(key)) {
      throw new PiapiWebhookConfigError(
        `${prefix}${key}`,
        `is not an option. Known options: ${[...known].join(', ')}.`,
      );
    }
  }
}
