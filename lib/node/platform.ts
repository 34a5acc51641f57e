import * as crypto from 'node:crypto';
import type { Platform } from '../core/platform.js';

// crypto.hash, one call instead of three, came with Node 20.12; older 20.x builds a Hash object.
const hash: (algorithm: string, data: string | Buffer, encoding: 'buffer' | 'hex') => Buffer | string =
  typeof crypto.hash === 'function'
    ? (algorithm, data, encoding) => crypto.hash(algorithm, data, encoding)
    : (algorithm, data, encoding) => (encoding === 'hex' ? crypto.createHash(algorithm).update(data).digest('hex') : crypto.createHash(algorithm).update(data).digest());

/** Node's platform: `node:crypto`, with the encodings done natively. */
export const nodePlatform: Platform = {
  sha256: (text) => hash('sha256', text, 'buffer') as Buffer,
  keyHash: (text) => (hash('sha256', Buffer.from(text, 'utf16le'), 'hex') as string).slice(0, 32),
};
