export {
  sqlStore,
  type SqlQuery,
  type SqlRow,
  type SqlStore,
  type SqlStoreFactory,
  type SqlStoreOptions,
} from './stores/sql/store.js';
export type { SqlDialect } from './stores/sql/schema.js';
export type { DedupeStore } from './core/dedupe.js';
