// piapiWebhook with its embedded defaults, on the same Express.
import express from 'express';
import { piapiWebhook } from 'piapi-webhook';
import { listen, SECRET } from './listen.mjs';

const app = express();
app.post('/hook', piapiWebhook({ secret: SECRET, onTask: () => {} }));
listen(app);
