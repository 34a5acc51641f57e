// The ceiling: node:http reads the body and answers 200, nothing else.
import { listen } from './listen.mjs';

const ok = Buffer.from('{"ok":true}');
listen((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': ok.length });
    res.end(ok);
  });
});
