import { PiapiWebhookRejection } from '../core/errors.js';
import type { PiapiWebhookLogger } from '../core/options.js';
import { createLazyWebhook, type PiapiWebhookOptionsInput, type ReadyControl } from '../lazy-webhook.js';
import type { IncomingDelivery, ReceiverAnswer } from '../core/receiver.js';
import { webPlatform } from '../web/platform.js';
import type { WebhookControls } from '../webhook.js';
import { discardBody, readLimitedBody } from './read-stream.js';

/**
 * What a platform offers to keep work alive after the response: Cloudflare's
 * `ExecutionContext`, `{ waitUntil }` from `@vercel/functions`, or
 * `{ waitUntil: after }` with Next.js. Only `waitUntil` is used, and it is
 * called as a method of this object (workerd throws "Illegal invocation" otherwise).
 */
export interface WaitUntilContext {
  waitUntil?(promise: Promise<unknown>): void;
}

/** The Fetch handler `piapiWebhookHandler()` returns, with the same methods as the Express middleware. */
export interface PiapiWebhookHandler extends WebhookControls, ReadyControl {
  /**
   * Answers one request. With `ack: 'immediate'`, `onTask` runs after the
   * answer: inside `context.waitUntil` when given (serverless platforms need
   * it), in the background otherwise (long-lived servers: Bun, Deno, Node).
   *
   * @param request - the incoming `Request`
   * @param context - where to register post-answer work, when the platform has it
   */
  (request: Request, context?: WaitUntilContext): Promise<Response>;
}

/**
 * A later task of the event loop: `setImmediate` where the runtime has it (Node,
 * Bun), which costs less than a timer and does not wait for the timers' 1 ms
 * minimum; `setTimeout(0)` elsewhere (workerd, Deno, browsers).
 */
const inLaterTask: (run: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (run) => void globalThis.setImmediate(run)
    : (run) => void setTimeout(run, 0);

/**
 * Runs `afterResponse` (it starts `onTask`) in a later task, so the runtime
 * sends the answer first; `finished` is called once the handler has settled.
 */
function runAfterResponse(
  afterResponse: NonNullable<ReceiverAnswer['afterResponse']>,
  logger: PiapiWebhookLogger,
  finished?: () => void,
): void {
  inLaterTask(() => {
    try {
      afterResponse(finished);
    } catch (error) {
      logger.error({ err: error }, '[piapi-webhook] could not start a handler');
      finished?.();
    }
  });
}

/**
 * The headers of each answer, built once per answer (genuine deliveries share
 * their answers' headers). Frozen and shared, so never handed out as they are:
 * see `respond`.
 */
const responseHeaders = new WeakMap<object, Readonly<Record<string, string>>>();

function headersFor(answer: ReceiverAnswer): Readonly<Record<string, string>> {
  let headers = responseHeaders.get(answer.headers);
  if (headers === undefined) {
    const built: Record<string, string> = {};
    // content-length is left to the runtime, which frames the body it is given.
    for (const [name, value] of Object.entries(answer.headers))
      if (name !== 'content-length') built[name] = String(value);
    headers = Object.freeze(built);
    responseHeaders.set(answer.headers, headers);
  }
  return headers;
}

/** A `Request` as the core sees it; `respond` settles the handler's promise with the `Response`. */
class FetchDelivery implements IncomingDelivery {
  readonly method: string;
  readonly secret: string | undefined;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  private bodyTouched = false;
  // Set once a streamed read starts; an AbortController per request would cost more than the rest of it on Node.
  private cancelRead: (() => void) | undefined;
  private readAborted = false;

  constructor(
    private readonly request: Request,
    private readonly context: WaitUntilContext | undefined,
    private readonly resolve: (response: Response) => void,
    private readonly logger: PiapiWebhookLogger,
  ) {
    const { headers } = request;
    this.method = request.method;
    this.secret = headers.get('x-webhook-secret') ?? undefined;
    this.contentType = headers.get('content-type') ?? undefined;
    this.contentEncoding = headers.get('content-encoding') ?? undefined;
  }

  readBody(limitBytes: number, callback: (error: PiapiWebhookRejection | undefined, body?: unknown) => void): void {
    this.bodyTouched = true;
    readLimitedBody(this.request, limitBytes, (cancel) => {
      if (this.readAborted) cancel();
      else this.cancelRead = cancel;
    }).then(
      (bytes) => callback(undefined, bytes),
      // Anything but a rejection: the stream was locked or broken by someone else.
      (error: unknown) =>
        callback(error instanceof PiapiWebhookRejection ? error : new PiapiWebhookRejection('body_unavailable')),
    );
  }

  abortBody(): void {
    this.readAborted = true;
    this.cancelRead?.();
  }

  respond(answer: ReceiverAnswer): void {
    // Refused before reading (wrong secret, media type): let the runtime drop the body instead of buffering it.
    if (!this.bodyTouched) discardBody(this.request);
    // A fresh copy for every Response: @hono/node-server 1.x's Response writes into the headers it is given.
    this.resolve(new Response(answer.text, { status: answer.statusCode, headers: { ...headersFor(answer) } }));

    const { afterResponse } = answer;
    if (afterResponse === undefined) return;
    const { context } = this;
    if (typeof context?.waitUntil !== 'function') {
      // A long-lived server (Bun, Deno, Node): the handler runs in the background.
      runAfterResponse(afterResponse, this.logger);
      return;
    }
    // Settles with nothing once onTask has: the outcome is not the platform's business.
    const work = new Promise<void>((finished) => runAfterResponse(afterResponse, this.logger, () => finished()));
    try {
      context.waitUntil(work);
    } catch (error) {
      // e.g. Next's after() outside a request scope: the handler still runs, in the background.
      this.logger.warn({ err: error }, '[piapi-webhook] waitUntil threw; the handler runs in the background');
    }
  }
}

/**
 * Creates the Fetch handler that receives PiAPI webhooks: Web-standard
 * `Request` in, `Response` out, for Next.js route handlers, Vercel and
 * Cloudflare Workers, Hono, Bun and Deno. Same options, checks, answers and
 * reason codes as the Express middleware. It imports no `node:*` module and
 * does not use `Buffer` or `eval`: SHA-256 comes from `node:crypto` where the
 * runtime lends it (`process.getBuiltinModule`), and from JavaScript elsewhere.
 *
 * @param options - see `PiapiWebhookOptions`; validated here, before it returns. Or a
 *   function that returns them, called once, on the first request: for modules evaluated
 *   before their secrets exist (`next build`, Workers' `env`). A config error is then
 *   answered `500 config_error` and sent to `onError`; `handle.ready()` throws it at once.
 * @throws PiapiWebhookConfigError when an option is missing or wrong (options given as an object)
 *
 * @example
 * ```ts
 * // Read on the first request, not when the module is evaluated.
 * const handle = piapiWebhookHandler(() => ({ secret: process.env.PIAPI_WEBHOOK_SECRET!, onTask }));
 * export const POST = (request: Request) => handle(request, { waitUntil: after });
 * ```
 */
export function piapiWebhookHandler(options: PiapiWebhookOptionsInput): PiapiWebhookHandler {
  const { receiver, controls, logger } = createLazyWebhook(options, webPlatform);

  function handle(request: Request, context?: WaitUntilContext): Promise<Response> {
    return new Promise((resolve) => receiver.receive(new FetchDelivery(request, context, resolve, logger)));
  }

  return Object.assign(handle, controls);
}
