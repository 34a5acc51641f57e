import { createHash } from 'node:crypto';
import { javascriptPlatform, lentNodeCrypto, webPlatform } from '../../lib/web/platform.js';
import { PLATFORMS } from '../helpers/platforms.js';

describe.each(PLATFORMS)('the platform on %s', (_name, platform) => {
  it.each(['', 'bench-secret', 'secrét 🎨', 'x'.repeat(100_000)])('hashes %j as SHA-256 of its UTF-8 bytes', (text) => {
    expect(Buffer.from(platform.sha256(text)).toString('hex')).toBe(
      createHash('sha256').update(text, 'utf8').digest('hex'),
    );
  });

  it('makes 16-hex-character random ids that differ', () => {
    const ids = new Set(Array.from({ length: 100 }, () => platform.randomId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('the Fetch entry on a runtime that lends node:crypto (process.getBuiltinModule)', () => {
  it('hashes with it: here, on Node, it is not the JavaScript platform', () => {
    expect(typeof process.getBuiltinModule).toBe('function');
    expect(webPlatform).not.toBe(javascriptPlatform);
  });

  it.each<[string, ((id: string) => unknown) | undefined]>([
    ['no getBuiltinModule (workerd without nodejs_compat, browsers)', undefined],
    [
      'a getBuiltinModule that throws',
      () => {
        throw new Error('not allowed');
      },
    ],
    [
      'modules without createHash',
      (id) => (id === 'node:crypto' ? { randomBytes: () => Buffer.alloc(8) } : { Buffer }),
    ],
    ['no node:buffer', (id) => (id === 'node:crypto' ? { createHash, randomBytes: () => Buffer.alloc(8) } : undefined)],
  ])('falls back to JavaScript given %s', (_name, getBuiltinModule) => {
    expect(lentNodeCrypto(getBuiltinModule)).toBeUndefined();
  });

  it("takes Node's own modules", () => {
    expect(lentNodeCrypto((id) => process.getBuiltinModule(id))?.buffer.Buffer).toBe(Buffer);
  });
});
