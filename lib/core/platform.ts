/**
 * What the core needs from the runtime it runs on, passed in by each adapter so
 * that `lib/core/` imports no `node:*` module. Node answers synchronously (the
 * hot path stays free of promises); Web Crypto answers with a promise.
 */
export interface Platform {
  /** The SHA-256 digest of `data` (a string is hashed as UTF-8). */
  sha256(data: Uint8Array | string): Uint8Array | Promise<Uint8Array>;
}
