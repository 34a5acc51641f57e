import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PiapiWebhookRejection } from '../core/errors.js';
import type { PiapiWebhookLogger } from '../core/options.js';
import type { IncomingDelivery, ReceiverAnswer } from '../core/receiver.js';
import { nodePlatform } from '../node/platform.js';
import { createLazyWebhook, type PiapiWebhookOptionsInput, type ReadyControl } from '../lazy-webhook.js';
import type { WebhookControls } from '../webhook.js';
import { readRequestBody } from '../node/read-body.js';

/**
 * The request handler `piapiWebhook()` returns. It is typed on Node's own request
 * and response, so it fits Express 4 and 5 (and plain `node:http`) alike.
 */
export interface PiapiWebhookMiddleware extends WebhookControls, ReadyControl {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** A Node request and its response, as the core sees them. One object per request, and no closure. */
class NodeDelivery implements IncomingDelivery {
  readonly method: string | undefined;
  readonly secret: string | undefined;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  private readonly req: IncomingMessage;
  private readonly res: ServerResponse;
  private readonly logger: PiapiWebhookLogger;

  constructor(req: IncomingMessage, res: ServerResponse, logger: PiapiWebhookLogger) {
    const { headers } = req;
    this.method = req.method;
    this.secret = singleHeader(headers['x-webhook-secret']);
    this.contentType = headers['content-type'];
    this.contentEncoding = headers['content-encoding'];
    this.req = req;
    this.res = res;
    this.logger = logger;
  }

  readBody(limitBytes: number, callback: (error: PiapiWebhookRejection | undefined, body?: unknown) => void): void {
    readRequestBody(this.req, limitBytes, callback);
  }

  abortBody(): void {
    // The answer that follows carries `connection: close` (the body is incomplete), so Node drops the socket.
    this.req.pause();
  }

  respond(answer: ReceiverAnswer): void {
    const { req, res } = this;
    try {
      // A body we refused to read (wrong secret, too large) is not worth draining: drop the connection.
      res.writeHead(answer.statusCode, req.complete ? answer.headers : { ...answer.headers, connection: 'close' });
      res.end(answer.body);
    } catch (error) {
      this.logger.error({ err: error }, '[piapi-webhook] could not answer a delivery');
    }
    // The handler runs once the answer has been handed to the socket in full (the usual case,
    // right after end()), or the client has gone, or else when the response closes; and even if
    // writing failed: the delivery is claimed, so a retry would be a duplicate and it must run.
    const { afterResponse } = answer;
    if (afterResponse === undefined) return;
    const handedOver = res.writableEnded && res.socket != null && res.writableLength === 0;
    if (handedOver || res.destroyed) afterResponse();
    else res.once('close', afterResponse);
  }
}

/**
 * Creates the Express handler that receives PiAPI webhooks. It answers every
 * request itself: `200 { ok: true }` for a genuine delivery (new or duplicate),
 * and a JSON `{ error, message }` with a 4xx status for anything else. Each new
 * delivery's task is then handed to `onTask`.
 *
 * @param options - see `PiapiWebhookOptions`; validated here, before it returns. Or a
 *   function that returns them, called once, on the first request; a config error is then
 *   answered `500 config_error` and sent to `onError`, and `hook.ready()` throws it.
 * @throws PiapiWebhookConfigError when an option is missing or wrong (options given as an object)
 *
 * @example
 * ```ts
 * app.post('/piapi/webhook', piapiWebhook({
 *   secret: process.env.PIAPI_WEBHOOK_SECRET!,
 *   onTask: async (task) => { if (task.status === 'completed') await save(task); },
 * }));
 * ```
 */
export function piapiWebhook(options: PiapiWebhookOptionsInput): PiapiWebhookMiddleware {
  const { receiver, controls, logger } = createLazyWebhook(options, nodePlatform);

  function piapiWebhookMiddleware(req: IncomingMessage, res: ServerResponse): void {
    receiver.receive(new NodeDelivery(req, res, logger));
  }

  return Object.assign(piapiWebhookMiddleware, controls);
}
