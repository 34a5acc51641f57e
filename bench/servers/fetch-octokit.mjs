// @octokit/webhooks' createWebMiddleware (its Fetch handler) on the same @hono/node-server: an HMAC check per delivery.
import { createWebMiddleware, Webhooks } from '@octokit/webhooks';
import { SECRET } from './listen.mjs';
import { serveFetch } from './serve-fetch.mjs';

const webhooks = new Webhooks({ secret: SECRET });
webhooks.onAny(() => {});
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const middleware = createWebMiddleware(webhooks, { path: '/hook', log: silent });
serveFetch((request) => middleware(request));
