// piapiWebhook with its defaults but the store's size (see BENCH_STORE_MAX), on the same Express.
import express from 'express';
import { memoryStore, piapiWebhook } from 'piapi-webhook';
import { BENCH_STORE_MAX, listen, SECRET } from './listen.mjs';

const app = express();
app.post('/hook', piapiWebhook({ secret: SECRET, onTask: () => {}, store: memoryStore({ max: BENCH_STORE_MAX }) }));
listen(app);
