// Fastify 5 with the plugin, next to a JSON route of the app's own that the plugin must leave alone.
import Fastify from 'fastify';
import { piapiWebhookPlugin } from 'piapi-webhook/fastify';
import { handled, options } from './options.mjs';

const app = Fastify();
await app.register(piapiWebhookPlugin, { path: '/hook', ...options });
app.get('/handled', async () => handled);
app.post('/echo', async (request) => ({ echoed: request.body }));
const address = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`listening ${new URL(address).port}`);
