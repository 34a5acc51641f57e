// A CommonJS module in both builds (see lib/testing/fixture-data.cts), so that
// __dirname is there to start from.
import fs = require('node:fs');
import path = require('node:path');

/**
 * This package's version: read from the nearest package.json above this file
 * that names piapi-webhook. The nearest one in dist only sets the module type,
 * and the depth differs between lib/ and dist/.
 */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'piapi-webhook' && typeof manifest.version === 'string') return manifest.version;
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

export = packageVersion;
