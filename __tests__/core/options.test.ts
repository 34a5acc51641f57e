import { parseOptions } from '../../lib/core/options.js';
import { memoryStore, PiapiWebhookConfigError } from '../../lib/index.js';

const parse = (options: unknown) => parseOptions(options, memoryStore);

const onTask = (): void => undefined;
const valid = { secret: 'top-secret', onTask };

describe('parseOptions', () => {
  it('fills in the documented defaults', () => {
    const config = parse(valid);
    expect(config).toMatchObject({
      secrets: ['top-secret'],
      maxSkewSeconds: 300,
      limitBytes: 1024 * 1024,
      dedupeTtlSeconds: 3600,
      storeTimeoutMs: 2000,
      ack: 'immediate',
      maxConcurrency: 10,
      maxQueue: 1000,
      now: Date.now,
    });
    expect(typeof config.store.claim).toBe('function');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('accepts a zero maxQueue (no waiting) and a custom store', () => {
    const store = memoryStore();
    const config = parse({ ...valid, maxQueue: 0, store, ack: 'after-handler' });
    expect(config).toMatchObject({ maxQueue: 0, store, ack: 'after-handler' });
  });

  it('accepts several secrets for rotation, and sizes given as strings', () => {
    const config = parse({ ...valid, secret: ['old', 'new'], limit: '64kb' });
    expect(config.secrets).toEqual(['old', 'new']);
    expect(config.limitBytes).toBe(64 * 1024);
  });

  it('asks the store to remember keys for twice the skew window when that is over an hour', () => {
    expect(parse({ ...valid, maxSkewSeconds: 3000 }).dedupeTtlSeconds).toBe(6000);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['options that are not an object', null as unknown as Record<string, unknown>, 'options'],
    ['a missing secret', { onTask }, 'secret'],
    ['an empty secret', { ...valid, secret: '' }, 'secret'],
    ['an empty secret list', { ...valid, secret: [] }, 'secret'],
    ['a secret list with an empty entry', { ...valid, secret: ['ok', ''] }, 'secret'],
    ['a secret that is not a string', { ...valid, secret: 123456 }, 'secret'],
    ['a secret with a trailing newline', { ...valid, secret: 'abc\n' }, 'secret'],
    ['a missing onTask', { secret: 'x' }, 'onTask'],
    ['an onTask that is not a function', { ...valid, onTask: 'handle' }, 'onTask'],
    ['an onError that is not a function', { ...valid, onError: {} }, 'onError'],
    ['an onOutcome that is not a function', { ...valid, onOutcome: 1 }, 'onOutcome'],
    ['a now that is not a function', { ...valid, now: 5 }, 'now'],
    ['a zero maxSkewSeconds', { ...valid, maxSkewSeconds: 0 }, 'maxSkewSeconds'],
    ['a negative maxSkewSeconds', { ...valid, maxSkewSeconds: -1 }, 'maxSkewSeconds'],
    ['an infinite maxSkewSeconds', { ...valid, maxSkewSeconds: Infinity }, 'maxSkewSeconds'],
    ['a NaN maxSkewSeconds', { ...valid, maxSkewSeconds: NaN }, 'maxSkewSeconds'],
    ['a maxSkewSeconds given as a string', { ...valid, maxSkewSeconds: '300' }, 'maxSkewSeconds'],
    ['an unparseable limit', { ...valid, limit: 'lots' }, 'limit'],
    ['a zero limit', { ...valid, limit: 0 }, 'limit'],
    ['a store without release', { ...valid, store: { claim: () => true } }, 'store'],
    ['a store that is a string', { ...valid, store: 'redis' }, 'store'],
    ['a zero storeTimeoutMs', { ...valid, storeTimeoutMs: 0 }, 'storeTimeoutMs'],
    ['an unknown ack mode', { ...valid, ack: 'later' }, 'ack'],
    ['a zero maxConcurrency', { ...valid, maxConcurrency: 0 }, 'maxConcurrency'],
    ['a fractional maxConcurrency', { ...valid, maxConcurrency: 2.5 }, 'maxConcurrency'],
    ['a negative maxQueue', { ...valid, maxQueue: -1 }, 'maxQueue'],
    ['an infinite maxQueue', { ...valid, maxQueue: Infinity }, 'maxQueue'],
    ['an unknown option (a typo)', { ...valid, maxSkewSecond: 30 }, 'maxSkewSecond'],
    ['the dedupe option of earlier drafts', { ...valid, dedupe: { max: 5 } }, 'dedupe'],
  ])('throws a config error naming the option for %s', (_name, options, option) => {
    let thrown: unknown;
    try {
      parse(options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PiapiWebhookConfigError);
    expect(thrown).toBeInstanceOf(TypeError);
    expect(thrown).toMatchObject({ option, code: 'ERR_PIAPI_WEBHOOK_OPTION' });
    expect((thrown as Error).message).toContain(`"${option}"`);
  });

  it('refuses an old-style store ({ claim, release }) by naming the missing methods and docs/stores.md, no missing section or version', () => {
    const oldStyle = { claim: () => true, release: () => undefined };
    expect(() => parse({ ...valid, store: oldStyle })).toThrow(
      /missing: renew, complete, watch, unwatch, takeDueWatches, rescheduleWatch\).*docs\/stores\.md/,
    );
    expect(() => parse({ ...valid, store: oldStyle })).not.toThrow(/Custom stores|0\.2/);
  });

  it('never echoes a secret in its error messages', () => {
    for (const secret of ['hunter2\n', ['fine', ' hunter2']]) {
      expect(() => parse({ ...valid, secret })).toThrow(PiapiWebhookConfigError);
      try {
        parse({ ...valid, secret });
      } catch (error) {
        expect((error as Error).message).not.toContain('hunter2');
      }
    }
    expect(() => parse({ ...valid, secret: 424242 })).toThrow(/type number/);
    try {
      parse({ ...valid, secret: 424242 });
    } catch (error) {
      expect((error as Error).message).not.toContain('424242');
    }
  });
});

describe('limit', () => {
  it.each<[unknown, number]>([
    [1, 1],
    [65_536, 65_536],
    ['100b', 100],
    ['64kb', 64 * 1024],
    ['512KB', 512 * 1024],
    ['1mb', 1024 * 1024],
    ['1.5mb', 1.5 * 1024 * 1024],
    ['2 mb', 2 * 1024 * 1024],
    ['1gb', 1024 ** 3],
  ])('accepts %p as %i bytes', (limit, expected) => {
    expect(parse({ ...valid, limit }).limitBytes).toBe(expected);
  });

  it.each<[unknown, string]>([
    ['10 megs', '"10 megs"'],
    ['1.5m', '"1.5m"'],
    ['10', '"10"'],
    ['', '""'],
    ['mb', '"mb"'],
    ['-1mb', '"-1mb"'],
    ['1tb', '"1tb"'],
    [' 1mb', '" 1mb"'],
    ['0kb', '"0kb"'],
    ['99999999999gb', '"99999999999gb"'],
    [1.5, '1.5'],
    [-5, '-5'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [2 ** 53, String(2 ** 53)],
    [{}, 'an object'],
  ])('refuses %p, naming the value and giving an example', (limit, shown) => {
    expect(() => parse({ ...valid, limit })).toThrow(PiapiWebhookConfigError);
    expect(() => parse({ ...valid, limit })).toThrow(`option "limit" must be a positive whole number of bytes`);
    expect(() => parse({ ...valid, limit })).toThrow(`received ${shown}.`);
    expect(() => parse({ ...valid, limit })).toThrow(/such as 1048576, '512kb' or '1\.5mb'/);
  });
});

describe('secrets an HTTP header cannot carry', () => {
  function messageFor(secret: unknown): string {
    try {
      parse({ ...valid, secret });
    } catch (error) {
      expect(error).toBeInstanceOf(PiapiWebhookConfigError);
      expect(error).toMatchObject({ option: 'secret' });
      return (error as Error).message;
    }
    throw new Error('parseOptions accepted the secret');
  }

  it.each([
    ['an inner tab', 'top\tsecret'],
    ['an inner space', 'top secret'],
    ['Latin-1 letters', 'pässwörd-ÿ'],
    [
      'every visible ASCII character',
      Array.from({ length: 94 }, (_, index) => String.fromCharCode(33 + index)).join(''),
    ],
    ['16 KB exactly', 'k'.repeat(16 * 1024)],
  ])('accepts a secret with %s', (_name, secret) => {
    expect(parse({ ...valid, secret }).secrets).toEqual([secret]);
  });

  it.each([
    ['a CJK character', 'himitsu-秘密'],
    ['an emoji', 'key-🔑-42'],
    ['a euro sign (U+20AC, not Latin-1)', 'price€'],
  ])('refuses %s: headers carry Latin-1, so a UTF-8 secret never matches', (_name, secret) => {
    const message = messageFor(secret);
    expect(message).toMatch(/beyond U\+00FF/);
    expect(message).toMatch(/Latin-1/);
    expect(message).toMatch(/UTF-8 .*never match/);
    expect(message).not.toContain(secret);
  });

  it.each([
    ['an inner newline', 'line1\nline2', 'U+000A', 6],
    ['an inner carriage return', 'line1\rline2', 'U+000D', 6],
    ['a NUL', 'abc\u0000def', 'U+0000', 4],
    ['an escape', 'abc\u001bdef', 'U+001B', 4],
    ['a DEL', 'abc\u007fdef', 'U+007F', 4],
  ])('refuses %s, saying which control character and where', (_name, secret, code, position) => {
    const message = messageFor(secret);
    expect(message).toContain(`control character ${code} at position ${position}`);
    expect(message).toContain('RFC 9110');
    expect(message).not.toContain(secret.slice(0, 3));
  });

  it('refuses a secret over 16 KB, which no server takes in a header', () => {
    const message = messageFor('k'.repeat(16 * 1024 + 1));
    expect(message).toContain('16385 characters long');
    expect(message).toContain('16384 bytes');
  });

  it('says which entry of a rotation list is wrong', () => {
    expect(messageFor(['fine', 'bad\nsecret'])).toContain('(entry 2 of 2)');
  });
});

describe('config error wording', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['an object', { ...valid, onError: {} }, 'received an object.'],
    ['an array', { ...valid, onOutcome: [] }, 'received an array.'],
    ['a function', { ...valid, maxQueue: () => 1 }, 'received a function.'],
    ['a symbol', { ...valid, ack: Symbol('ack') }, 'received a symbol.'],
    ['a bigint', { ...valid, maxConcurrency: 10n }, 'received a bigint.'],
  ])('describes %s with the right article', (_name, options, text) => {
    expect(() => parse(options)).toThrow(text);
  });
});
