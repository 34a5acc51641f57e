import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULTS } from '../core/defaults.js';
import { PiapiWebhookConfigError, type PiapiWebhookRejection } from '../core/errors.js';
import type { PiapiWebhookOptions } from '../core/options.js';
import type { IncomingDelivery, ReceiverAnswer } from '../core/receiver.js';
import { nodePlatform } from '../node/platform.js';
import { readRequestBody } from '../node/read-body.js';
import { createLazyWebhook } from '../lazy-webhook.js';
import type { WebhookControls } from '../webhook.js';

/** Options for {@link piapiWebhookPlugin}: the middleware's options, plus where to mount it. */
export interface PiapiWebhookPluginOptions extends PiapiWebhookOptions {
  /**
   * The route that receives PiAPI's POSTs (under the register `prefix`, if any).
   * @defaultValue '/piapi/webhook'
   */
  path?: string;
  /**
   * The name of the app decorator that exposes the controls (`drain()` and the
   * rest). Change it to register the plugin twice.
   * @defaultValue 'piapiWebhook'
   */
  decorator?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The controls of the piapi-webhook plugin registered with the default `decorator` name. */
    piapiWebhook: WebhookControls;
  }
}

const { path: DEFAULT_PATH, decorator: DEFAULT_DECORATOR } = DEFAULTS.fastify;
/** Fastify's own register options: honoured for the route, not passed to the core. */
const REGISTER_OPTIONS = ['prefix', 'logLevel', 'logSerializers'] as const;

/** A Fastify request and reply, as the core sees them. */
class FastifyDelivery implements IncomingDelivery {
  readonly method: string;
  readonly secret: string | undefined;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;

  constructor(
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
  ) {
    const { headers } = request;
    const secret = headers['x-webhook-secret'];
    this.method = request.method;
    this.secret = Array.isArray(secret) ? secret.join(', ') : secret;
    this.contentType = headers['content-type'];
    this.contentEncoding = headers['content-encoding'];
  }

  readBody(limitBytes: number, callback: (error: PiapiWebhookRejection | undefined, body?: unknown) => void): void {
    // The plugin's content-type parser left the stream untouched: it is read here, capped, after the secret check.
    readRequestBody(this.request.raw, limitBytes, callback);
  }

  abortBody(): void {
    // The answer that follows carries `connection: close` (the body is incomplete), so the socket is dropped.
    this.request.raw.pause();
  }

  respond(answer: ReceiverAnswer): void {
    const { reply } = this;
    const res = reply.raw;
    const { body } = answer;
    // A body we refused to read (wrong secret, too large) is not worth draining: drop the connection,
    // so that app.close() is not held by a client still sending it.
    const headers = this.request.raw.complete ? answer.headers : { ...answer.headers, connection: 'close' };
    reply
      .code(answer.statusCode)
      .headers(headers)
      .send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    // The handler runs once the response is done, or the client has gone; and even if writing
    // failed: the delivery is claimed, so a retry would be a duplicate and it must run.
    const { afterResponse } = answer;
    if (afterResponse === undefined) return;
    if (res.closed) afterResponse();
    else res.once('close', () => afterResponse());
  }
}

function pathOption(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/')) {
    throw new PiapiWebhookConfigError(
      'path',
      `must be a route path starting with '/', such as '${DEFAULT_PATH}', received ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/**
 * The Fastify plugin that receives PiAPI webhooks on `path`:
 * `app.register(piapiWebhookPlugin, { path: '/piapi/webhook', secret, onTask })`.
 * Same options, checks, answers and reason codes as the Express middleware.
 *
 * - Options are validated when the plugin registers: a mistake throws a
 *   `PiapiWebhookConfigError` from `register` / `ready()`.
 * - The route gets a content-type parser of its own, in an encapsulated
 *   context: the body is read raw, capped, and only after the secret check,
 *   and the app's parsers and routes are untouched.
 * - The controls (`drain()`, …) are on the app, as `app.piapiWebhook` (see
 *   `decorator`); `app.close()` drains.
 */
export async function piapiWebhookPlugin(fastify: FastifyInstance, options: PiapiWebhookPluginOptions): Promise<void> {
  const { path = DEFAULT_PATH, decorator = DEFAULT_DECORATOR, ...rest } = options;
  const routeOptions: Record<string, unknown> = {};
  const hookOptions: Record<string, unknown> = { ...rest };
  for (const name of REGISTER_OPTIONS) {
    if (name in hookOptions) routeOptions[name] = hookOptions[name];
    delete hookOptions[name];
  }
  const route = pathOption(path);
  if (typeof decorator !== 'string' || decorator === '') {
    throw new PiapiWebhookConfigError(
      'decorator',
      `must be a non-empty string, received ${JSON.stringify(decorator)}.`,
    );
  }
  // Built at once (an object); through the same factory as the other entries, so that the bundle
  // keeps one shared chunk for all three instead of one more for the two that take a function.
  const { receiver, controls } = createLazyWebhook(hookOptions as unknown as PiapiWebhookOptions, nodePlatform);

  fastify.decorate(decorator, controls);
  // Handlers accepted before close() still run to the end (bounded by drain()'s default timeout).
  fastify.addHook('onClose', async () => {
    await controls.drain();
  });

  // An encapsulated child: its catch-all parser, which reads nothing, applies to this route only.
  await fastify.register(function piapiWebhookRoute(child, _options, done) {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('*', (_request, _payload, parsed) => parsed(null));
    child.post(route, (request, reply) => {
      receiver.receive(new FastifyDelivery(request, reply));
    });
    done();
  }, routeOptions);
}

// Fastify's plugin conventions, written out rather than through fastify-plugin: the version
// check and the name, and skip-override so that the decorator and onClose hook reach the app.
// The parser stays encapsulated in the child context registered above.
Object.assign(piapiWebhookPlugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'piapi-webhook',
  [Symbol.for('plugin-meta')]: { fastify: '5.x', name: 'piapi-webhook' },
});
