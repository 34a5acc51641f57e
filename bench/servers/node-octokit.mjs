// @octokit/webhooks' createNodeMiddleware as the whole node:http server: it reads the body itself and checks an HMAC.
import { createNodeMiddleware, Webhooks } from '@octokit/webhooks';
import { listen, SECRET } from './listen.mjs';

const webhooks = new Webhooks({ secret: SECRET });
webhooks.onAny(() => {});
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const middleware = createNodeMiddleware(webhooks, { path: '/hook', log: silent });
listen((req, res) => middleware(req, res));
