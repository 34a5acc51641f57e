import { validateDocumented, validateRequired } from '../generated/validators.js';
import type { PiapiNotification } from './types.js';

/** One error from the precompiled validators (the fields of ajv's `ErrorObject` used here). */
export interface SchemaError {
  readonly instancePath: string;
  readonly message?: string;
}

/** A validator precompiled by `scripts/generate-validators.cjs`: a type guard that leaves its errors on itself. */
interface CompiledValidator<T> {
  (data: unknown): data is T;
  errors?: readonly SchemaError[] | null;
}

/**
 * What the receiver relies on: `timestamp` (an integer ≥ 0), `data` an object,
 * and `task_id`, `model`, `task_type`, `status` non-empty strings. A body that
 * fails it is refused.
 */
export const requiredShape = validateRequired as CompiledValidator<PiapiNotification>;

/**
 * The documented shape of the optional fields too (config, input, output, meta,
 * logs, error). A body that fails only this one is accepted, with warnings.
 */
export const documentedShape = validateDocumented as CompiledValidator<PiapiNotification>;

/** One readable line per error, e.g. `data.meta.usage.frozen must be number`. */
export function describeSchemaErrors(errors: readonly SchemaError[] | null | undefined): string[] {
  return (errors ?? []).map(({ instancePath, message }) => {
    const path = instancePath === '' ? 'body' : instancePath.slice(1).replaceAll('/', '.');
    return `${path} ${message ?? 'is invalid'}`;
  });
}
