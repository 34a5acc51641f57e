/**
 * Helpers for testing a PiAPI webhook handler without a PiAPI account:
 * realistic notifications, named fixtures, and a way to deliver them as PiAPI does.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PiapiNotification, PiapiTask } from '../core/types.js';
import { FIXTURE_KINDS, FIXTURES, type FixtureName, type FixtureNotification } from './fixtures.js';

export type { FixtureName, FixtureNotification, FixtureTask } from './fixtures.js';

/** Every shipped fixture's name, sorted. */
export const fixtureNames = Object.keys(FIXTURE_KINDS).sort() as readonly FixtureName[];

/** Fields of `data` to replace, and optionally the `timestamp` (Unix seconds). */
export type NotificationOverrides = Partial<PiapiTask> & { timestamp?: number };

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function withOverrides(base: PiapiNotification, overrides: NotificationOverrides): PiapiNotification {
  const { timestamp = nowSeconds(), ...data } = overrides;
  return { timestamp, data: { ...structuredClone(base.data), ...data } };
}

/**
 * What {@link fixture} returns: typed by the fixture's name, unless the
 * overrides replace `model`, `task_type` or `output`, which the name then no
 * longer describes.
 */
export type FixtureResult<N extends FixtureName, O extends NotificationOverrides> = [
  Extract<keyof O, 'model' | 'task_type' | 'output'>,
] extends [never]
  ? FixtureNotification<N>
  : PiapiNotification;

/**
 * A shipped fixture, as PiAPI would send it now: a fresh copy with the current
 * timestamp, unless `overrides` says otherwise. Typed by name:
 * `fixture('midjourney-imagine-completed').data.output` is a `MidjourneyOutput`.
 *
 * @typeParam O - the overrides' type; `{}` when there are none, so the result keeps the fixture's own types
 * @param name - one of {@link fixtureNames}
 * @param overrides - fields of `data` to replace, and `timestamp`
 * @throws TypeError when no fixture has that name
 */
// `{}` (no overrides) is the documented default, and what FixtureResult's users see in their editor.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export function fixture<N extends FixtureName, O extends NotificationOverrides = {}>(
  name: N,
  overrides?: O,
): FixtureResult<N, O> {
  // Own keys only: 'constructor' is not a fixture.
  const base = Object.hasOwn(FIXTURES, name) ? (FIXTURES as Record<string, PiapiNotification>)[name] : undefined;
  if (base === undefined) {
    throw new TypeError(
      `piapi-webhook/testing: no fixture named ${JSON.stringify(name)}. Known: ${fixtureNames.join(', ')}.`,
    );
  }
  return withOverrides(base, overrides ?? {}) as FixtureResult<N, O>;
}

/**
 * A realistic notification for now: a completed Midjourney imagine task with a
 * new random `task_id`, so that two calls are never duplicates of each other.
 * `piapiWebhook` accepts it as is.
 *
 * @param overrides - `status`, `model`, `task_type`, any other field of `data`, and `timestamp`
 *
 * @example
 * ```ts
 * createNotification({ status: 'processing', output: { progress: 40 } });
 * ```
 */
export function createNotification(overrides: NotificationOverrides = {}): PiapiNotification {
  return withOverrides(FIXTURES['midjourney-imagine-completed'], {
    task_id: randomUUID(),
    ...overrides,
  });
}

/**
 * The headers PiAPI sends with a delivery. Use them with supertest:
 * `request(app).post('/piapi/webhook').set(deliveryHeaders(secret)).send(JSON.stringify(notification))`.
 */
export function deliveryHeaders(secret: string): Record<string, string> {
  return { 'content-type': 'application/json', 'x-webhook-secret': secret };
}

/** What an endpoint answered. */
export interface DeliveryResult {
  status: number;
  /** The answer's body, parsed as JSON when it is JSON, or else as text. */
  body: unknown;
  headers: Headers;
}

/** Options for {@link sendNotification}. */
export interface SendOptions {
  /** The secret to send in `x-webhook-secret`. */
  secret: string;
  /**
   * The path to post to, when the target is an app or a server.
   * @defaultValue '/piapi/webhook'
   */
  path?: string;
  /**
   * For a URL, an app or a server: the longest the request may take, answer
   * included, in milliseconds. Past it the promise rejects with a `TimeoutError`.
   * @defaultValue no limit
   */
  timeoutMs?: number;
}

/** A supertest request, or anything else with `set(headers)` and `send(body)`. */
export interface RequestBuilder<T> {
  set(headers: Record<string, string>): T;
}

async function post(url: string, notification: PiapiNotification, options: SendOptions): Promise<DeliveryResult> {
  const { timeoutMs } = options;
  const response = await fetch(url, {
    method: 'POST',
    headers: deliveryHeaders(options.secret),
    body: JSON.stringify(notification),
    // The signal covers the answer's body too, read below.
    ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, body, headers: response.headers };
}

async function postToServer(
  server: Server,
  notification: PiapiNotification,
  options: SendOptions,
): Promise<DeliveryResult> {
  const { port } = server.address() as AddressInfo;
  return post(`http://127.0.0.1:${port}${options.path ?? '/piapi/webhook'}`, notification, options);
}

/**
 * Delivers a notification the way PiAPI does: a JSON POST with the secret in
 * `x-webhook-secret`.
 *
 * - Given a URL, it posts there.
 * - Given an Express app (or any request listener), it serves it on a free
 *   loopback port for the one request; given a listening `http.Server`, it uses it.
 * - Given a supertest request, it sets the headers and the body and returns it,
 *   so that you can chain `.expect(200)`.
 *
 * @example
 * ```ts
 * await sendNotification(app, createNotification(), { secret });
 * await sendNotification(request(app).post('/piapi/webhook'), createNotification(), { secret }).expect(200);
 * ```
 */
export function sendNotification<T extends { send(body: string): unknown }>(
  request: RequestBuilder<T>,
  notification: PiapiNotification,
  options: SendOptions,
): ReturnType<T['send']>;
export function sendNotification(
  target: string | URL | Server | RequestListener,
  notification: PiapiNotification,
  options: SendOptions,
): Promise<DeliveryResult>;
export function sendNotification(
  target: string | URL | Server | RequestListener | RequestBuilder<{ send(body: string): unknown }>,
  notification: PiapiNotification,
  options: SendOptions,
): unknown {
  if (typeof target === 'string' || target instanceof URL) return post(String(target), notification, options);
  if (
    typeof (target as Server).listen === 'function' &&
    typeof (target as Server).address === 'function' &&
    (target as Server).listening
  ) {
    return postToServer(target as Server, notification, options);
  }
  if (typeof target === 'function') {
    const server = createServer(target);
    return new Promise<DeliveryResult>((resolve, reject) => {
      server.listen(0, '127.0.0.1', () => {
        postToServer(server, notification, options)
          .then(resolve, reject)
          .finally(() => server.close());
      });
    });
  }
  if (typeof (target as RequestBuilder<unknown>).set === 'function') {
    return (target as RequestBuilder<{ send(body: string): unknown }>)
      .set(deliveryHeaders(options.secret))
      .send(JSON.stringify(notification));
  }
  throw new TypeError(
    'piapi-webhook/testing: sendNotification needs a URL, an app, a listening server, or a supertest request.',
  );
}

export type { PiapiNotification, PiapiTask };
export { createRequest, type CreateRequestOptions } from './request.js';
export {
  createFakePiapi,
  FakePiapi,
  randomLifecycle,
  type FakeCreateTaskBody,
  type FakeDeliveryAttempt,
  type FakeGetFault,
  type FakePiapiOptions,
  type FakeTaskLifecycle,
} from './fake-piapi.js';
