import { PiapiWebhookConfigError } from '../../lib/core/errors.js';
import {
  aFunction,
  describe as describeValue,
  isNonArrayObject,
  isObject,
  knownKeysOnly,
  nonNegativeInteger,
  nonNegativeNumber,
  oneOf,
  positiveInteger,
  positiveNumber,
} from '../../lib/core/option-checks.js';

type Check = (option: string, value: unknown) => unknown;

const CHECKS: Array<[string, Check, unknown[], unknown[]]> = [
  ['positiveNumber', positiveNumber, [1, 0.5, 1e9], [0, -1, NaN, Infinity, '1', null, undefined]],
  ['positiveInteger', positiveInteger, [1, 10, 2 ** 40], [0, 1.5, -2, Infinity, '3', null]],
  ['nonNegativeNumber', nonNegativeNumber, [0, 0.25, 30], [-0.1, NaN, Infinity, '0', null]],
  ['nonNegativeInteger', nonNegativeInteger, [0, 1, 1000], [-1, 0.5, Infinity, 2 ** 60, '0', null]],
];

describe('the option checkers, each named after what it accepts', () => {
  describe.each(CHECKS)('%s', (_name, check, accepted, refused) => {
    it.each(accepted)('accepts %p and returns it', (value) => {
      expect(check('some.option', value)).toBe(value);
    });

    it.each(refused)('refuses %p with a config error naming the option and the value', (value) => {
      let thrown: unknown;
      try {
        check('some.option', value);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(PiapiWebhookConfigError);
      expect((thrown as PiapiWebhookConfigError).option).toBe('some.option');
      expect((thrown as Error).message).toContain(`received ${describeValue(value)}`);
    });
  });

  it('aFunction accepts a function and refuses anything else', () => {
    const run = (): void => undefined;
    expect(aFunction('onTask', run)).toBe(run);
    expect(() => aFunction('onTask', 'run')).toThrow(/"onTask" must be a function, received "run"/);
  });

  it('oneOf accepts a listed value and lists them all when refusing', () => {
    expect(oneOf('ack', 'immediate', ['immediate', 'after-handler'])).toBe('immediate');
    expect(() => oneOf('ack', 'later', ['immediate', 'after-handler'])).toThrow(
      "must be 'immediate' or 'after-handler', received \"later\".",
    );
  });

  it('knownKeysOnly names the unknown key with its prefix, and lists the known ones', () => {
    const known = new Set(['apiKey', 'baseUrl']);
    expect(() => knownKeysOnly({ apiKey: 'k' }, known, 'recovery.')).not.toThrow();
    expect(() => knownKeysOnly({ apiKey: 'k', apikey: 'k' }, known, 'recovery.')).toThrow(
      /"recovery\.apikey" is not an option\. Known options: apiKey, baseUrl\./,
    );
  });

  it.each<[unknown, boolean, boolean]>([
    [{}, true, true],
    [[], true, false],
    [console, true, true],
    [null, false, false],
    ['text', false, false],
    [() => undefined, false, false],
  ])('tells objects (%p: %p) from non-array objects (%p)', (value, object, nonArray) => {
    expect(isObject(value)).toBe(object);
    expect(isNonArrayObject(value)).toBe(nonArray);
  });
});
