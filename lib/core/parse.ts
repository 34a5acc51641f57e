import { PiapiWebhookRejection } from './errors.js';
import { describeSchemaErrors, documentedShape, requiredShape } from './schema.js';
import type { PiapiNotification, PiapiTask } from './types.js';

const BYTE_ORDER_MARK = 0xfeff;
// Not fatal: a stray invalid byte inside a string should not cost a genuine delivery (Node's Buffer decodes alike).
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

function parseJson(text: string): unknown {
  // RFC 8259 lets a parser ignore a leading byte order mark; JSON.parse does not.
  const json = text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text;
  try {
    return JSON.parse(json);
  } catch {
    throw new PiapiWebhookRejection('invalid_json');
  }
}

/**
 * Makes a validated task safe and canonical, in place: lowercases `status`
 * (PiAPI documents `Completed` but sends `completed`) and removes the secret that
 * PiAPI echoes in `config.webhook_config`, so no handler, hook or log sees it.
 */
function normalizeTask(task: PiapiTask): void {
  task.status = task.status.toLowerCase();
  const webhookConfig = task.config?.webhook_config;
  // The documented shape only warns when it fails (see parseNotification), so webhook_config can still be null here.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if (typeof webhookConfig === 'object' && webhookConfig !== null) delete webhookConfig['secret'];
}

/**
 * Turns a request body into a validated, normalized notification, or throws a
 * {@link PiapiWebhookRejection} (`invalid_json` or `invalid_payload`).
 *
 * Only what the receiver relies on is enforced (see `requiredShape`). An
 * optional field that drifted from PiAPI's documented shape does not refuse
 * the delivery: one line per drift is pushed into `warnings`, when given.
 *
 * @param body - raw bytes (a `Uint8Array`, such as a Node `Buffer`) or text, or a value an upstream JSON parser already produced
 * @param warnings - receives the drift of optional fields
 */
export function parseNotification(body: unknown, warnings?: string[]): PiapiNotification {
  const value =
    typeof body === 'string' ? parseJson(body) : body instanceof Uint8Array ? parseJson(utf8.decode(body)) : body;
  // The full shape first: a genuine delivery passes it, and then costs one validation.
  if (!documentedShape(value)) {
    if (!requiredShape(value)) {
      throw new PiapiWebhookRejection('invalid_payload', describeSchemaErrors(requiredShape.errors)[0]);
    }
    warnings?.push(...describeSchemaErrors(documentedShape.errors));
  }
  normalizeTask(value.data);
  return value;
}
