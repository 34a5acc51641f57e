/**
 * Every option's default, in one literal: `piapiWebhook`'s own, `recovery`'s,
 * `memoryStore`'s and the Redis stores' (`redisStore`, `upstashStore`), and the Fastify plugin's own. The parsers read them from here and nowhere else, and
 * `__tests__/core/defaults.test.ts` checks that each option's TSDoc
 * `@defaultValue` and the options tables of the README and docs/ say the same.
 *
 * Options whose default is behaviour rather than a value (`onError` logs,
 * `store` is a `memoryStore()`, `logger` is `console`, `now` is `Date.now`,
 * `recovery` is off) are decided in `parseOptions`.
 *
 * @module
 */
export const DEFAULTS = Object.freeze({
  maxSkewSeconds: 300,
  limit: '1mb',
  storeTimeoutMs: 2000,
  storeCooldownMs: 5000,
  ack: 'immediate',
  maxConcurrency: 10,
  maxQueue: 1000,
  leaseSeconds: 10,
  handlerTimeoutMs: 120_000,
  bodyTimeoutMs: 10_000,
  recovery: Object.freeze({
    baseUrl: 'https://api.piapi.ai',
    allowInsecureBaseUrl: false,
    checkAfterSeconds: 60,
    intervalSeconds: 30,
    maxAgeSeconds: 86_400,
    verify: false,
    requestTimeoutMs: 10_000,
    concurrency: 4,
  }),
  redisStore: Object.freeze({ prefix: 'piapi-webhook:' }),
  fastify: Object.freeze({ path: '/piapi/webhook', decorator: 'piapiWebhook' }),
  memoryStore: Object.freeze({
    max: 100_000,
    // 2 × the default maxSkewSeconds: the window in which a copy passes the timestamp check.
    replayWindowSeconds: 600,
  }),
} as const);

/** How long the store remembers a key at the least, in seconds, whatever `maxSkewSeconds` is. */
export const MIN_DEDUPE_TTL_SECONDS = 3600;
