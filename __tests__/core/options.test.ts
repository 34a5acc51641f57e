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
