/**
 * The package's own tests use the fake PiAPI it ships (`createFakePiapi` in
 * piapi-webhook/testing), with this suite's defaults: every task runs a random
 * lifecycle (unless `webhooks: false`), and durations are a tenth of PiAPI's.
 */
import {
  createFakePiapi,
  FakePiapi as ShippedFakePiapi,
  randomLifecycle,
  type FakeCreateTaskBody,
  type FakeDeliveryAttempt,
  type FakeGetFault,
  type FakePiapiOptions as ShippedOptions,
  type FakeTaskLifecycle,
} from '../../lib/testing/fake-piapi.js';

export type Lifecycle = FakeTaskLifecycle;
export type CreateTaskBody = FakeCreateTaskBody;
export type DeliveryAttempt = FakeDeliveryAttempt;
export type GetFault = FakeGetFault;

/** Options for {@link FakePiapi.start}. */
export interface FakePiapiOptions {
  /** The key `x-api-key` must carry. @defaultValue 'fake-piapi-key' */
  apiKey?: string;
  /** Multiplies every duration: 0.1 makes PiAPI's 5 s retry 0.5 s. @defaultValue 0.1 */
  timeScale?: number;
  /** Whether tasks run their lifecycle and send webhooks. @defaultValue true */
  webhooks?: boolean;
  /** How each new task unfolds (unscaled ms). @defaultValue 5–20 s pending, 5–30 s processing, 1 in 5 failed */
  lifecycle?: (index: number, random: () => number) => Lifecycle;
  /** Seeds the default lifecycle. @defaultValue 1 */
  seed?: number;
  /** How long PiAPI waits for an endpoint's answer before it counts as failed (real ms). @defaultValue 15 000 */
  deliveryTimeoutMs?: number;
}

export class FakePiapi extends ShippedFakePiapi {
  static async start(options: FakePiapiOptions = {}): Promise<FakePiapi> {
    const webhooks = options.webhooks ?? true;
    const shipped: ShippedOptions = {
      webhooks,
      lifecycle: webhooks ? (options.lifecycle ?? randomLifecycle) : false,
      timeScale: options.timeScale ?? 0.1,
    };
    if (options.apiKey !== undefined) shipped.apiKey = options.apiKey;
    if (options.seed !== undefined) shipped.seed = options.seed;
    if (options.deliveryTimeoutMs !== undefined) shipped.deliveryTimeoutMs = options.deliveryTimeoutMs;
    return createFakePiapi(shipped);
  }
}
