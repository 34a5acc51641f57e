import { sha256 } from '@noble/hashes/sha2';
import type { Platform } from '../core/platform.js';
import { nodeCryptoPlatform, type NodeCryptoModules } from '../core/node-crypto-platform.js';

const utf8 = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

function hex(bytes: Uint8Array, length: number): string {
  let text = '';
  for (let index = 0; index < length; index += 1) text += HEX[bytes[index] ?? 0];
  return text;
}

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
 * The platform of any Web runtime (workerd without nodejs_compat, browsers):
 * SHA-256 in JavaScript (`@noble/hashes`), synchronous, and Web Crypto's random
 * values. `crypto.subtle.digest` answers with a promise, and on Node costs about
 * 50 µs a call: more than the rest of a delivery.
 */
export const javascriptPlatform: Platform = {
  sha256: (text) => sha256(utf8.encode(text)),
  keyHash: (text) => hex(sha256(utf16Bytes(text)), 16),
  randomId() {
    const bytes = new Uint8Array(8);
    globalThis.crypto.getRandomValues(bytes);
    return hex(bytes, 8);
  },
};

type GetBuiltinModule = (id: string) => unknown;

/**
 * `node:crypto` and `node:buffer` where the runtime lends them without an import
 * (`process.getBuiltinModule`: Node ≥ 20.16, Bun, Deno, workerd with nodejs_compat);
 * undefined elsewhere. An import would break the runtimes that have neither.
 */
export function lentNodeCrypto(getBuiltinModule: GetBuiltinModule | undefined): NodeCryptoModules | undefined {
  if (typeof getBuiltinModule !== 'function') return undefined;
  try {
    const crypto = getBuiltinModule('node:crypto') as Partial<NodeCryptoModules['crypto']> | undefined;
    const buffer = getBuiltinModule('node:buffer') as Partial<NodeCryptoModules['buffer']> | undefined;
    if (
      typeof crypto?.createHash !== 'function' ||
      typeof crypto.randomBytes !== 'function' ||
      typeof buffer?.Buffer?.from !== 'function'
    )
      return undefined;
    return { crypto, buffer } as NodeCryptoModules;
  } catch {
    return undefined;
  }
}

function runtimeBuiltins(): GetBuiltinModule | undefined {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const getBuiltinModule = runtime?.getBuiltinModule;
  return typeof getBuiltinModule === 'function' ? (id) => getBuiltinModule.call(runtime, id) : undefined;
}

const lent = lentNodeCrypto(runtimeBuiltins());

/**
 * The Fetch entry's platform: `node:crypto` where the runtime lends it (native
 * hashing is about three times faster), {@link javascriptPlatform} elsewhere.
 * Both give the same digests and keys.
 */
export const webPlatform: Platform = lent === undefined ? javascriptPlatform : nodeCryptoPlatform(lent);
