// Bun.serve on upstashStore, through the Upstash REST bridge named by the environment.
import { Redis } from '@upstash/redis';
import { upstashRoutes } from './upstash-routes.mjs';

const { UPSTASH_URL: url, UPSTASH_TOKEN: token, UPSTASH_PREFIX: prefix } = process.env;
const route = upstashRoutes(Redis, { url, token, prefix });
const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (request) => route(request) });
console.log(`listening ${server.port}`);
