export { redisStore, type RedisClientLike, type RedisStoreOptions } from './stores/redis.js';
export type { DedupeStore } from './core/dedupe.js';
