import type { Platform } from '../core/platform.js';

const utf8 = new TextEncoder();

/**
 * The Web platform: SHA-256 with Web Crypto (`crypto.subtle`), which every
 * Fetch runtime has (workerd without nodejs_compat, Deno, Bun, browsers, Node).
 */
export const webPlatform: Platform = {
  async sha256(data) {
    const digest = await crypto.subtle.digest('SHA-256', typeof data === 'string' ? utf8.encode(data) : data);
    return new Uint8Array(digest);
  },
};
