import { PiapiWebhookRejection, type RejectionReason } from '../../lib/index.js';

/** The reason `run` refuses with, or 'accepted' when it returns. Other errors propagate. */
export function reasonOf(run: () => unknown): RejectionReason | 'accepted' {
  try {
    run();
    return 'accepted';
  } catch (error) {
    if (error instanceof PiapiWebhookRejection) return error.reason;
    throw error;
  }
}
