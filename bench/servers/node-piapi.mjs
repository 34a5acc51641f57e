// piapiWebhook as the whole node:http server, no framework: http.createServer(piapiWebhook(options)).
import { piapiWebhook } from 'piapi-webhook';
import { listen, SECRET } from './listen.mjs';

listen(piapiWebhook({ secret: SECRET, onTask: () => {} }));
