export { upstashStore, type UpstashRedisLike, type UpstashStoreOptions } from './stores/upstash.js';
export type { DedupeStore } from './core/dedupe.js';
