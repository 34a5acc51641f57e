// The options every consumer app passes to piapi-webhook, and what its onTask has finished.
export const SECRET = 'runtime-secret';

/** The task_ids onTask has finished, in order; each app serves it at GET /handled. */
export const handled = [];

export const options = {
  secret: SECRET,
  limit: '8kb',
  // One handler at a time, in order: once a later delivery is handled, a duplicate's handler would have run.
  maxConcurrency: 1,
  async onTask(task) {
    // A timer between the answer and the record: on workerd it survives the response only through ctx.waitUntil.
    await new Promise((resolve) => setTimeout(resolve, 1));
    handled.push(task.task_id);
  },
};

/** Whether the runtime lends node:crypto to the Fetch entry (lib/web/platform.ts); the Fetch apps serve it at GET /builtins. */
export const builtins = () => ({ lendsNodeModules: typeof globalThis.process?.getBuiltinModule === 'function' });
