import * as buffer from 'node:buffer';
import * as crypto from 'node:crypto';
import type { Platform } from '../../lib/core/platform.js';
import { nodeCryptoPlatform } from '../../lib/core/node-crypto-platform.js';
import { nodePlatform } from '../../lib/node/platform.js';
import { javascriptPlatform, webPlatform } from '../../lib/web/platform.js';

/** Every platform the entries can run on, by name: they must agree on every digest and key. */
export const PLATFORMS: ReadonlyArray<[string, Platform]> = [
  ['node:crypto (the Node entries)', nodePlatform],
  [
    'node:crypto without crypto.hash (Node < 20.12, other runtimes)',
    nodeCryptoPlatform({ crypto: { createHash: crypto.createHash, randomBytes: crypto.randomBytes }, buffer }),
  ],
  ['@noble/hashes (the Fetch entry without node:crypto)', javascriptPlatform],
  ['the Fetch entry here', webPlatform],
];
