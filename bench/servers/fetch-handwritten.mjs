// What a user writes without this package as a Fetch handler, on the same @hono/node-server.
import { SECRET } from './listen.mjs';
import { serveFetch } from './serve-fetch.mjs';

const handle = () => {};
serveFetch(async (request) => {
  if (request.headers.get('x-webhook-secret') !== SECRET) return new Response(null, { status: 401 });
  const body = await request.json();
  setImmediate(() => handle(body.data));
  return Response.json({ ok: true });
});
