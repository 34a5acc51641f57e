import { ACCEPTED, DUPLICATE, rejectionAnswer } from '../../lib/core/answers.js';
import { PiapiWebhookRejection, REJECTION_STATUS, type RejectionReason } from '../../lib/core/errors.js';

const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const REASONS = Object.keys(REJECTION_STATUS) as RejectionReason[];

describe('the answers', () => {
  it.each([
    ['ACCEPTED', ACCEPTED, 'accepted'],
    ['DUPLICATE', DUPLICATE, 'duplicate'],
  ])('%s is 200 { ok: true } with its outcome header, built once and frozen', (_name, answer, outcome) => {
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ ok: true });
    expect(answer.headers['x-piapi-webhook-outcome']).toBe(outcome);
    expect(Object.isFrozen(answer)).toBe(true);
    expect(Object.isFrozen(answer.headers)).toBe(true);
  });

  it.each(REASONS)('answers %s with its status and { error, message }, body and text alike', (reason) => {
    const rejection = new PiapiWebhookRejection(reason);
    const answer = rejectionAnswer(rejection);
    expect(answer.statusCode).toBe(REJECTION_STATUS[reason]);
    expect(JSON.parse(answer.text)).toEqual({ error: reason, message: rejection.message });
    expect(decode(answer.body)).toBe(answer.text);
    expect(answer.headers['content-length']).toBe(answer.body.length);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    // Only a genuine delivery's answer tells its outcome.
    expect(answer.headers['x-piapi-webhook-outcome']).toBeUndefined();
  });

  it('asks for a retry after 5 s on every 503, and says which method is allowed on a 405', () => {
    for (const reason of REASONS.filter((candidate) => REJECTION_STATUS[candidate] === 503)) {
      expect(rejectionAnswer(new PiapiWebhookRejection(reason)).headers['retry-after']).toBe('5');
    }
    expect(rejectionAnswer(new PiapiWebhookRejection('method_not_allowed')).headers['allow']).toBe('POST');
  });
});
