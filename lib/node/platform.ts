import * as buffer from 'node:buffer';
import * as crypto from 'node:crypto';
import { nodeCryptoPlatform } from '../core/node-crypto-platform.js';
import type { Platform } from '../core/platform.js';

/** Node's platform: `node:crypto`. */
export const nodePlatform: Platform = nodeCryptoPlatform({ crypto, buffer });
