// The routes of the Fetch-based consumer apps: POST /hook to the handler, GET /handled and GET /builtins.
import { piapiWebhookHandler } from 'piapi-webhook/fetch';
import { builtins, handled, options } from './options.mjs';

const handle = piapiWebhookHandler(options);

/** @param {Request} request @param {{ waitUntil?(promise: Promise<unknown>): void }} [context] */
export function route(request, context) {
  const { pathname } = new URL(request.url);
  if (pathname === '/hook') return handle(request, context);
  if (pathname === '/handled') return Response.json(handled);
  if (pathname === '/builtins') return Response.json(builtins());
  return new Response('not found', { status: 404 });
}
