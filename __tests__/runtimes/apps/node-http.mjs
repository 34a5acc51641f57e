// node:http, as the README shows it: the middleware is the whole server. A second server reports what was handled.
import { createServer } from 'node:http';
import { piapiWebhook } from 'piapi-webhook';
import { handled, options } from './options.mjs';

const hook = createServer(piapiWebhook(options)).listen(0, '127.0.0.1', () => {
  console.log(`hook ${hook.address().port}`);
  const status = createServer((req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(handled)),
  );
  status.listen(0, '127.0.0.1', () => console.log(`listening ${status.address().port}`));
});
