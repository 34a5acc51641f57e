// Fires a genuine scheduled event at the worker bound as APP, as Cloudflare's cron does: a service
// binding's scheduled() (workerd's experimental service_binding_extra_handlers flag, set on this
// test-only worker alone; the worker under test keeps no compatibility flag). Answers its outcome.
export default {
  async fetch(request, env) {
    const cron = new URL(request.url).searchParams.get('cron') ?? '*/5 * * * *';
    return Response.json(await env.APP.scheduled({ scheduledTime: new Date(), cron }));
  },
};
