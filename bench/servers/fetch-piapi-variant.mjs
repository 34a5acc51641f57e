// The Fetch handler of another build (PIAPI_FETCH_ENTRY: a path to its dist/esm/fetch/index.js), on the same
// @hono/node-server and store as fetch-piapi: for A/B runs of a change (`--servers fetch-piapi,fetch-piapi-variant`).
import { pathToFileURL } from 'node:url';
import { BENCH_STORE_MAX, SECRET } from './listen.mjs';
import { serveFetch } from './serve-fetch.mjs';

const entry = process.env.PIAPI_FETCH_ENTRY;
if (!entry) throw new Error('fetch-piapi-variant: set PIAPI_FETCH_ENTRY to the other build’s dist/esm/fetch/index.js');
const { memoryStore, piapiWebhookHandler } = await import(pathToFileURL(entry).href);
const handle = piapiWebhookHandler({ secret: SECRET, onTask: () => {}, store: memoryStore({ max: BENCH_STORE_MAX }) });
serveFetch((request) => handle(request));
