// @octokit/webhooks' createNodeMiddleware on the same Express: it reads the body itself and checks an HMAC.
import express from 'express';
import { createNodeMiddleware, Webhooks } from '@octokit/webhooks';
import { listen, SECRET } from './listen.mjs';

const webhooks = new Webhooks({ secret: SECRET });
webhooks.onAny(() => {});
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const app = express();
app.use(createNodeMiddleware(webhooks, { path: '/hook', log: silent }));
listen(app);
