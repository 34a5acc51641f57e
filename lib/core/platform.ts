/**
 * What the core needs from the runtime it runs on, passed in by each adapter so
 * that `lib/core/` imports no `node:*` module. Every method answers
 * synchronously: a delivery is decided in the turn its body arrives, without a promise.
 */
export interface Platform {
  /** The SHA-256 digest of `text`, encoded as UTF-8. */
  sha256(text: string): Uint8Array;
  /**
   * The first 128 bits of the SHA-256 digest of `text`'s UTF-16 code units
   * (two bytes each, little-endian), as 32 lowercase hex characters. Unlike
   * UTF-8, those bytes differ for every JS string: lone surrogates
   * (`\ud800`, `\udc00`) would all become U+FFFD in UTF-8.
   */
  keyHash(text: string): string;
  /** 64 random bits as 16 hex characters, from the runtime's secure generator: an instance's id in owner tokens. */
  randomId(): string;
}
