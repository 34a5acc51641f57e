// What a user writes without this package on node:http alone: read the body, compare the secret, parse, answer, handle.
import { listen, SECRET } from './listen.mjs';

const handle = () => {};
const ok = Buffer.from('{"ok":true}');
listen((req, res) => {
  if (req.headers['x-webhook-secret'] !== SECRET) {
    res.writeHead(401).end();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': ok.length });
    res.end(ok);
    setImmediate(() => handle(body.data));
  });
});
