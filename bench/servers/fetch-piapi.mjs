// The Fetch handler on Node: @hono/node-server turns each request into a Request and the Response back.
import { piapiWebhookHandler } from 'piapi-webhook/fetch';
import { SECRET } from './listen.mjs';
import { serveFetch } from './serve-fetch.mjs';

const handle = piapiWebhookHandler({ secret: SECRET, onTask: () => {} });
serveFetch((request) => handle(request));
