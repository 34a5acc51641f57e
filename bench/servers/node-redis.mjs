// piapiWebhook on node:http with redisStore (node-redis) against the bench's own redis-server (REDIS_URL).
import { createClient } from 'redis';
import { piapiWebhook } from 'piapi-webhook';
import { redisStore } from 'piapi-webhook/redis';
import { listen, SECRET } from './listen.mjs';

const client = createClient({ url: process.env.REDIS_URL });
client.on('error', (error) => console.error('[bench] redis:', error.message));
await client.connect();
listen(piapiWebhook({ secret: SECRET, onTask: () => {}, store: redisStore(client) }));
