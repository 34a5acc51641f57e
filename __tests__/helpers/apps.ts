import express5 from 'express';
import express4 from 'express4';
import type { RequestHandler } from 'express';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  piapiWebhook,
  type PiapiTask,
  type PiapiWebhookContext,
  type PiapiWebhookOptions,
  type WebhookOutcome,
} from '../../lib/index.js';
import { NOW_MS, SECRET } from './notifications.js';

type ExpressFactory = typeof express5;

/** Every Express major the package supports, for `describe.each`. */
export const expressVersions: ReadonlyArray<[string, ExpressFactory]> = [
  ['Express 5', express5],
  ['Express 4', express4],
];

export interface Received {
  task: PiapiTask;
  context: PiapiWebhookContext;
}

/** An Express app with the middleware at /piapi/webhook, recording what it hands out. */
export function createApp(
  express: ExpressFactory,
  options: Partial<PiapiWebhookOptions> = {},
  { before = [], mount = 'post' }: { before?: RequestHandler[]; mount?: 'post' | 'use' } = {},
) {
  const received: Received[] = [];
  const outcomes: WebhookOutcome[] = [];
  const app = express();
  for (const middleware of before) app.use(middleware);
  const hook = piapiWebhook({
    secret: SECRET,
    now: () => NOW_MS,
    onTask: (task, context) => {
      received.push({ task, context });
    },
    onOutcome: (outcome) => {
      outcomes.push(outcome);
    },
    ...options,
  });
  if (mount === 'use') app.use('/piapi/webhook', hook);
  else app.post('/piapi/webhook', hook);
  return { app, hook, received, outcomes };
}

/** A promise with its resolve function, to hold a handler until a test lets it go. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Resolves after pending handlers, scheduled after the response, have run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Sends exactly these bytes with exactly these headers. (supertest re-serialises
 * a Buffer as JSON when the content-type says JSON, so it cannot send junk.)
 */
export function rawRequest(
  server: Server,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
): Promise<{ status: number; text: string; json: Record<string, unknown> | undefined }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    // An explicit length: Node's client frames neither GET nor DELETE bodies on its own.
    const framing = body === undefined ? {} : { 'content-length': String(body.length) };
    const options = { host: '127.0.0.1', port, method, path: '/piapi/webhook', headers: { ...headers, ...framing } };
    const req = httpRequest(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One logger call as a line of text; the `{ err }` object a logger gets is shown by its error. */
export function logLine(args: readonly unknown[]): string {
  return args
    .map((arg) => (typeof arg === 'object' && arg !== null && 'err' in arg ? String(arg.err) : String(arg)))
    .join(' ');
}
