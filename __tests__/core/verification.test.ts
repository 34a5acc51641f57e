import { PiapiWebhookRejection } from '../../lib/core/errors.js';
import type { PendingHandler } from '../../lib/core/scheduler.js';
import { createVerification, type Confirmation } from '../../lib/core/verification.js';
import type { PiapiTask, PiapiWebhookContext } from '../../lib/index.js';
import { notification, NOW_MS } from '../helpers/notifications.js';

const place = { taskId: 't', status: 'completed', deliveryKey: 'key' } as PendingHandler;
const contextOf = (source: PiapiWebhookContext['source']): PiapiWebhookContext => ({
  timestamp: NOW_MS / 1000,
  receivedAt: NOW_MS,
  deliveryKey: 'key',
  source,
  attempt: 1,
});
const completed = notification({ status: 'completed' }).data;

function setup(answer: () => Promise<Confirmation>) {
  const given: string[] = [];
  const confirm = jest.fn(answer);
  const verify = createVerification(
    confirm,
    (_place, task, _context, owner) => void given.push(`${task.task_id} ${owner}`),
  );
  return { verify, confirm, given };
}

describe('createVerification (recovery.verify)', () => {
  it('hands on the webhook task as it is when verify is off, for progress, and for recovered tasks', () => {
    const off = createVerification(undefined, jest.fn());
    expect(off(place, 'o', completed, contextOf('webhook'))).toBe(completed);
    const { verify, confirm } = setup(() => Promise.resolve({ kind: 'refused' }));
    const processing = notification({ status: 'processing' }).data;
    expect(verify(place, 'o', processing, contextOf('webhook'))).toBe(processing);
    expect(verify(place, 'o', completed, contextOf('recovery'))).toBe(completed);
    expect(confirm).not.toHaveBeenCalled();
  });

  it("swaps in PiAPI's own copy of a confirmed terminal task", async () => {
    const copy: PiapiTask = { ...completed, output: { image_url: 'https://piapi.example/own.png' } };
    const { verify, given } = setup(() => Promise.resolve({ kind: 'confirmed', task: copy }));
    await expect(verify(place, 'o', completed, contextOf('webhook'))).resolves.toBe(copy);
    expect(given).toEqual([]);
  });

  it.each<[string, () => Promise<Confirmation>, string]>([
    ['PiAPI does not confirm it', () => Promise.resolve({ kind: 'refused' }), 'unverified'],
    ['get-task cannot answer', () => Promise.resolve({ kind: 'unavailable' }), 'verify_unavailable'],
    ['the lookup throws', () => Promise.reject(new Error('boom')), 'verify_unavailable'],
  ])('refuses, giving the claim back, when %s', async (_name, answer, reason) => {
    const { verify, given } = setup(answer);
    const refused = verify(place, 'owner-7', completed, contextOf('webhook'));
    await expect(refused).rejects.toBeInstanceOf(PiapiWebhookRejection);
    await expect(refused).rejects.toMatchObject({ reason });
    expect(given).toEqual([`${completed.task_id} owner-7`]);
  });
});
