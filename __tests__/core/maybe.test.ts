import { andThen, callSafely, isThenable } from '../../lib/core/maybe.js';

describe('isThenable', () => {
  it.each<[string, unknown, boolean]>([
    ['a promise', Promise.resolve(1), true],
    ['an object with a then method', { then: () => undefined }, true],
    ['a function with a then method', Object.assign(() => undefined, { then: () => undefined }), true],
    ['a plain object', {}, false],
    ['an object whose then is not a function', { then: 1 }, false],
    ['null', null, false],
    ['a string', 'then', false],
  ])('tells %s', (_name, value, expected) => {
    expect(isThenable(value)).toBe(expected);
  });
});

describe('andThen', () => {
  it('applies the next step at once to a plain value, without a promise', () => {
    const result = andThen(2, (value) => value * 3);
    expect(result).toBe(6);
  });

  it('applies it once a promise resolves', async () => {
    const result = andThen(Promise.resolve(2), (value) => value * 3);
    expect(result).toBeInstanceOf(Promise);
    await expect(result).resolves.toBe(6);
  });
});

describe('callSafely', () => {
  it('sends a synchronous throw to onFailure', () => {
    const error = new Error('sync');
    const onFailure = jest.fn();
    callSafely(() => {
      throw error;
    }, onFailure);
    expect(onFailure).toHaveBeenCalledWith(error);
  });

  it('sends an asynchronous rejection to onFailure', async () => {
    const error = new Error('async');
    const onFailure = jest.fn();
    callSafely(() => Promise.reject(error), onFailure);
    await new Promise((resolve) => setImmediate(resolve));
    expect(onFailure).toHaveBeenCalledWith(error);
  });

  it('calls nothing when the call succeeds', async () => {
    const onFailure = jest.fn();
    callSafely(() => Promise.resolve('fine'), onFailure);
    callSafely(() => 'fine', onFailure);
    await new Promise((resolve) => setImmediate(resolve));
    expect(onFailure).not.toHaveBeenCalled();
  });
});
