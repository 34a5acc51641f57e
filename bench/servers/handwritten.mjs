// What a user writes without this package (the one-liner), on Express 5.
import express from 'express';
import { listen, SECRET } from './listen.mjs';

const handle = () => {};
const app = express();
app.post('/hook', express.json(), (req, res) => {
  if (req.get('x-webhook-secret') !== SECRET) return res.sendStatus(401);
  res.json({ ok: true });
  setImmediate(() => handle(req.body.data));
});
listen(app);
