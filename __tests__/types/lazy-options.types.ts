/**
 * Type-level tests for options given as a function (issue 18, item 15), checked
 * by `tsc` (npm run typecheck). Each `@ts-expect-error` line must fail to compile.
 */
import { piapiWebhook, type PiapiWebhookMiddleware } from '../../lib/index.js';
import { piapiWebhookHandler, type PiapiWebhookHandler } from '../../lib/fetch/index.js';

const onTask = (): void => undefined;

const handle: PiapiWebhookHandler = piapiWebhookHandler(() => ({ secret: 's', onTask }));
const hook: PiapiWebhookMiddleware = piapiWebhook(() => ({ secret: ['a', 'b'], onTask, ack: 'after-handler' }));
// ready() is there in both forms, and returns nothing to await.
const ready: void = handle.ready();
hook.ready();
piapiWebhook({ secret: 's', onTask }).ready();
void ready;

// @ts-expect-error the function returns the options themselves, not a promise of them
piapiWebhookHandler(async () => ({ secret: 's', onTask }));
// @ts-expect-error the function takes no arguments (it is called once, on the first request)
piapiWebhook((env: { SECRET: string }) => ({ secret: env.SECRET, onTask }));
// @ts-expect-error the function's result must still hold the required options
piapiWebhookHandler(() => ({ secret: 's' }));
