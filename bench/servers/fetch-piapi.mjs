// The Fetch handler on Node: @hono/node-server turns each request into a Request and the Response back.
import { memoryStore, piapiWebhookHandler } from 'piapi-webhook/fetch';
import { BENCH_STORE_MAX, SECRET } from './listen.mjs';
import { serveFetch } from './serve-fetch.mjs';

const handle = piapiWebhookHandler({ secret: SECRET, onTask: () => {}, store: memoryStore({ max: BENCH_STORE_MAX }) });
serveFetch((request) => handle(request));
