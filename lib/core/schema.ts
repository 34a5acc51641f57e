import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { PiapiNotification } from './types.js';

const text = { type: 'string' } as const;
const nonEmptyText = { type: 'string', minLength: 1 } as const;

/**
 * A deliberately lenient JSON Schema for a PiAPI notification. It requires only
 * what the middleware relies on and PiAPI always sends, type-checks the other
 * documented fields where present, and leaves every object open: PiAPI adds
 * fields over time, and a genuine delivery refused with 400 is an event lost.
 */
export const notificationSchema = {
  type: 'object',
  required: ['timestamp', 'data'],
  properties: {
    timestamp: { type: 'integer', minimum: 0 },
    data: {
      type: 'object',
      required: ['task_id', 'model', 'task_type', 'status'],
      properties: {
        task_id: nonEmptyText,
        model: nonEmptyText,
        task_type: nonEmptyText,
        // Any casing and any value: see normalizeTask and the README.
        status: nonEmptyText,
        config: {
          type: 'object',
          properties: {
            service_mode: text,
            webhook_config: { type: 'object', properties: { endpoint: text, secret: text } },
          },
        },
        input: { type: 'object' },
        // null or zero-valued while pending, depending on the model.
        output: { type: ['object', 'null'] },
        meta: {
          type: 'object',
          properties: {
            created_at: text,
            started_at: text,
            ended_at: text,
            usage: {
              type: 'object',
              properties: { type: text, frozen: { type: 'number' }, consume: { type: 'number' } },
            },
            is_using_private_pool: { type: 'boolean' },
          },
        },
        logs: { type: ['array', 'null'] },
        error: {
          type: 'object',
          properties: { code: { type: 'integer' }, raw_message: text, message: text },
        },
      },
    },
  },
} as const;

let compiled: ValidateFunction<PiapiNotification> | undefined;

/** The compiled validator, built on first use and shared by every middleware. */
export function notificationValidator(): ValidateFunction<PiapiNotification> {
  // allErrors stays off: the first error is enough to refuse, and it bounds the work per request.
  compiled ??= new Ajv({ allowUnionTypes: true }).compile<PiapiNotification>(notificationSchema);
  return compiled;
}

/** One readable line from ajv's first error, e.g. `data.status must be string`. */
export function describeSchemaError(errors: readonly ErrorObject[] | null | undefined): string {
  const first = errors?.[0];
  if (first === undefined) return 'The body is not a PiAPI notification.';
  const path = first.instancePath === '' ? 'body' : first.instancePath.slice(1).replaceAll('/', '.');
  return `${path} ${first.message ?? 'is invalid'}`;
}
