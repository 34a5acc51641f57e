import * as crypto from 'node:crypto';
import type { Platform } from '../core/platform.js';

// crypto.hash, one call instead of three, came with Node 20.12; older 20.x builds a Hash object.
const sha256: (data: Uint8Array | string) => Uint8Array =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'buffer')
    : (data) => crypto.createHash('sha256').update(data).digest();

/** Node's platform: synchronous hashing with `node:crypto`. */
export const nodePlatform: Platform = { sha256 };
