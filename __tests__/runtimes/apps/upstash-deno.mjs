// Deno.serve on upstashStore, through the Upstash REST bridge named by the environment.
import { Redis } from '@upstash/redis';
import { upstashRoutes } from './upstash-routes.mjs';

const env = (name) => Deno.env.get(name);
const route = upstashRoutes(Redis, {
  url: env('UPSTASH_URL'),
  token: env('UPSTASH_TOKEN'),
  prefix: env('UPSTASH_PREFIX'),
});
Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log(`listening ${port}`) }, (request) =>
  route(request),
);
