import { sha256 } from '@noble/hashes/sha2';
import type { Platform } from '../core/platform.js';

const utf8 = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Every UTF-16 code unit as two bytes, little-endian: what Node's `Buffer.from(text, 'utf16le')` gives. */
function utf16Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length * 2);
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index);
    bytes[2 * index] = unit & 0xff;
    bytes[2 * index + 1] = unit >> 8;
  }
  return bytes;
}

/**
 * The Web platform, for every Fetch runtime (workerd without nodejs_compat,
 * Deno, Bun, Node): SHA-256 in JavaScript (`@noble/hashes`), synchronous.
 * Web Crypto's `crypto.subtle.digest` answers with a promise, and on Node costs
 * about 50 µs a call: more than the rest of a delivery.
 */
export const webPlatform: Platform = {
  sha256: (text) => sha256(utf8.encode(text)),
  keyHash(text) {
    const digest = sha256(utf16Bytes(text));
    let hex = '';
    for (let index = 0; index < 16; index += 1) hex += HEX[digest[index] ?? 0];
    return hex;
  },
};
