// piapiWebhook as the whole node:http server, no framework: http.createServer(piapiWebhook(options)).
import { memoryStore, piapiWebhook } from 'piapi-webhook';
import { BENCH_STORE_MAX, listen, SECRET } from './listen.mjs';

listen(piapiWebhook({ secret: SECRET, onTask: () => {}, store: memoryStore({ max: BENCH_STORE_MAX }) }));
