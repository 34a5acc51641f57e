import { PiapiWebhookRejection } from './errors.js';
import { describeSchemaError, notificationValidator } from './schema.js';
import type { PiapiNotification, PiapiTask } from './types.js';

const BYTE_ORDER_MARK = 0xfeff;

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
  if (webhookConfig !== undefined) delete webhookConfig['secret'];
}

/**
 * Turns a request body into a validated, normalized notification, or throws a
 * {@link PiapiWebhookRejection} (`invalid_json` or `invalid_payload`).
 *
 * @param body - raw bytes or text, or a value an upstream JSON parser already produced
 */
export function parseNotification(body: unknown): PiapiNotification {
  const value =
    typeof body === 'string' ? parseJson(body) : Buffer.isBuffer(body) ? parseJson(body.toString('utf8')) : body;
  const validate = notificationValidator();
  if (!validate(value)) {
    throw new PiapiWebhookRejection('invalid_payload', describeSchemaError(validate.errors));
  }
  normalizeTask(value.data);
  return value;
}
