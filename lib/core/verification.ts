/**
 * `recovery.verify`: a terminal webhook is confirmed with PiAPI's get-task
 * before its handler runs, and PiAPI's own copy replaces the one sent. PiAPI
 * signs nothing, so this is the only defence if the webhook secret leaks.
 */
import { isTerminalStatus } from './dedupe.js';
import { PiapiWebhookRejection } from './errors.js';
import type { MaybePromise } from './maybe.js';
import type { PendingHandler } from './scheduler.js';
import type { PiapiTask, PiapiWebhookContext } from './types.js';

/** What `recovery.verify` found when it asked PiAPI about a webhook's task. */
export type Confirmation =
  | { readonly kind: 'confirmed'; readonly task: PiapiTask }
  | { readonly kind: 'refused' }
  | { readonly kind: 'unavailable' };

/**
 * @param confirm - asks PiAPI about a task (the recovery's), or undefined when `verify` is off
 * @param giveBack - frees the place and the claim of a delivery that is refused
 * @returns the task to hand to `onTask`: the webhook's own when nothing is to confirm, else
 *   PiAPI's copy; rejects with `unverified` or `verify_unavailable` after giving the claim back
 */
export function createVerification(
  confirm: ((task: PiapiTask) => Promise<Confirmation>) | undefined,
  giveBack: (place: PendingHandler, task: PiapiTask, context: PiapiWebhookContext, owner: string) => void,
): (place: PendingHandler, owner: string, task: PiapiTask, context: PiapiWebhookContext) => MaybePromise<PiapiTask> {
  return (place, owner, task, context) => {
    if (confirm === undefined || context.source !== 'webhook' || !isTerminalStatus(task.status)) return task;
    // A lookup that throws is one that could not be made: PiAPI is asked to retry, and the claim is given back.
    const lookup = confirm(task).catch((): Confirmation => ({ kind: 'unavailable' }));
    return lookup.then((confirmation) => {
      if (confirmation.kind === 'confirmed') return confirmation.task;
      giveBack(place, task, context, owner);
      throw new PiapiWebhookRejection(confirmation.kind === 'refused' ? 'unverified' : 'verify_unavailable');
    });
  };
}
