import { PiapiWebhookConfigError } from './errors.js';

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
