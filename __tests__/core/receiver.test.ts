import { ACCEPTED, type ReceiverAnswer } from '../../lib/core/answers.js';
import { PiapiWebhookRejection } from '../../lib/core/errors.js';
import { parseOptions, type PiapiWebhookOptions } from '../../lib/core/options.js';
import type { Pipeline } from '../../lib/core/pipeline.js';
import { createReceiver, type IncomingDelivery } from '../../lib/core/receiver.js';
import { memoryStore } from '../../lib/index.js';
import { nodePlatform } from '../../lib/node/platform.js';
import { notification, NOW_MS, NOW_S } from '../helpers/notifications.js';

const SECRET = 'receiver-secret';

/** A receiver in front of a stand-in pipeline that answers `answer` and records what reached it. */
function setup(
  answer: () => ReturnType<Pipeline['answer']> = () => ACCEPTED,
  options: Partial<PiapiWebhookOptions> = {},
) {
  const logger = { warn: jest.fn(), error: jest.fn() };
  const config = parseOptions(
    { secret: SECRET, onTask: () => undefined, now: () => NOW_MS, logger, ...options },
    memoryStore,
  );
  const pipeline = { answer: jest.fn(answer), emitRejected: jest.fn() };
  const receiver = createReceiver(config, nodePlatform, pipeline as unknown as Pipeline);
  return { receiver, pipeline, logger };
}

/**
 * A delivery whose body arrives when `deliverBody` is called (at once with `body`, unless
 * `body` is undefined), and whose answers are recorded.
 */
function delivery(overrides: Partial<IncomingDelivery> = {}, body?: unknown) {
  const answers: ReceiverAnswer[] = [];
  let callback: ((error: PiapiWebhookRejection | undefined, body?: unknown) => void) | undefined;
  const incoming = {
    method: 'POST',
    secret: SECRET,
    contentType: 'application/json',
    contentEncoding: undefined,
    readBody: jest.fn((_limit: number, done: (error: PiapiWebhookRejection | undefined, body?: unknown) => void) => {
      callback = done;
      if (body !== undefined) done(undefined, body);
    }),
    abortBody: jest.fn(),
    respond: jest.fn((answer: ReceiverAnswer) => void answers.push(answer)),
    ...overrides,
  } satisfies IncomingDelivery;
  const deliverBody = (error: PiapiWebhookRejection | undefined, late?: unknown): void => callback?.(error, late);
  return { incoming, answers, deliverBody };
}

const reasonOf = (answer: ReceiverAnswer | undefined): unknown =>
  answer === undefined ? undefined : (JSON.parse(answer.text) as { error?: unknown }).error;
const body = (value: unknown = notification()): string => JSON.stringify(value);

describe('createReceiver', () => {
  it('answers a good delivery with what the pipeline decides, in the same turn as its body', () => {
    const { receiver, pipeline } = setup();
    const { incoming, answers } = delivery({}, body());
    receiver.receive(incoming);
    expect(answers).toEqual([ACCEPTED]);
    expect(pipeline.answer).toHaveBeenCalledTimes(1);
    const [parsed, receivedAt] = pipeline.answer.mock.calls[0] as unknown as [{ timestamp: number }, number];
    expect(parsed.timestamp).toBe(NOW_S);
    expect(receivedAt).toBe(NOW_MS);
  });

  it('answers once the pipeline does, when it answers with a promise', async () => {
    const { receiver } = setup(() => Promise.resolve(ACCEPTED));
    const { incoming, answers } = delivery({}, body());
    receiver.receive(incoming);
    expect(answers).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(answers).toEqual([ACCEPTED]);
  });

  it.each<[string, Partial<IncomingDelivery>, number, string]>([
    ['a GET', { method: 'GET' }, 405, 'method_not_allowed'],
    ['no secret', { secret: undefined }, 401, 'missing_secret'],
    ['a wrong secret', { secret: 'wrong' }, 401, 'invalid_secret'],
    ['a form body', { contentType: 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
    ['a compressed body', { contentEncoding: 'gzip' }, 415, 'unsupported_media_type'],
  ])('refuses %s before reading a byte of the body', (_name, overrides, status, reason) => {
    const { receiver, pipeline } = setup();
    const { incoming, answers } = delivery(overrides, body());
    receiver.receive(incoming);
    expect(incoming.readBody).not.toHaveBeenCalled();
    expect(answers.map((answer) => [answer.statusCode, reasonOf(answer)])).toEqual([[status, reason]]);
    expect(pipeline.answer).not.toHaveBeenCalled();
    expect(pipeline.emitRejected).toHaveBeenCalledTimes(1);
  });

  it.each<[string, unknown, number, string]>([
    ['a body that is not JSON', '{"timestamp":', 400, 'invalid_json'],
    ['a body that is not a notification', '{"timestamp":1}', 400, 'invalid_payload'],
    ['a stale timestamp', body(notification({}, NOW_S - 3600)), 400, 'stale_timestamp'],
  ])('refuses %s without asking the pipeline', (_name, raw, status, reason) => {
    const { receiver, pipeline } = setup();
    const { incoming, answers } = delivery({}, raw);
    receiver.receive(incoming);
    expect(answers.map((answer) => [answer.statusCode, reasonOf(answer)])).toEqual([[status, reason]]);
    expect(pipeline.answer).not.toHaveBeenCalled();
  });

  it("answers the body reader's own refusal", () => {
    const { receiver } = setup();
    const { incoming, answers, deliverBody } = delivery();
    receiver.receive(incoming);
    deliverBody(new PiapiWebhookRejection('payload_too_large'));
    expect(answers.map((answer) => [answer.statusCode, reasonOf(answer)])).toEqual([[413, 'payload_too_large']]);
  });

  it('answers 500 internal_error, and logs it, when the pipeline throws or rejects unexpectedly', async () => {
    const thrown = setup(() => {
      throw new Error('bug');
    });
    const first = delivery({}, body());
    thrown.receiver.receive(first.incoming);
    expect(reasonOf(first.answers[0])).toBe('internal_error');
    expect(thrown.logger.error).toHaveBeenCalledTimes(1);

    const rejected = setup(() => Promise.reject(new Error('async bug')));
    const second = delivery({}, body());
    rejected.receiver.receive(second.incoming);
    await new Promise((resolve) => setImmediate(resolve));
    expect(second.answers.map((answer) => [answer.statusCode, reasonOf(answer)])).toEqual([[500, 'internal_error']]);
  });

  describe('with fake timers', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('answers 408 body_timeout and stops reading when the body is slower than bodyTimeoutMs, and only once', () => {
      const { receiver, pipeline } = setup(undefined, { bodyTimeoutMs: 4000 });
      const { incoming, answers, deliverBody } = delivery();
      receiver.receive(incoming);
      jest.advanceTimersByTime(3999);
      expect(answers).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(incoming.abortBody).toHaveBeenCalledTimes(1);
      expect(answers.map((answer) => [answer.statusCode, reasonOf(answer)])).toEqual([[408, 'body_timeout']]);
      // The body that arrives after all is ignored: one answer per delivery.
      deliverBody(undefined, body());
      expect(answers).toHaveLength(1);
      expect(pipeline.answer).not.toHaveBeenCalled();
    });

    it('clears the body deadline once the body has arrived', () => {
      const { receiver } = setup();
      const { incoming } = delivery({}, body());
      receiver.receive(incoming);
      expect(jest.getTimerCount()).toBe(0);
      expect(incoming.abortBody).not.toHaveBeenCalled();
    });
  });
});
