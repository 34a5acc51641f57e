import { memoryStore, PiapiWebhookConfigError } from '../../lib/index.js';

describe('memoryStore', () => {
  it('claims a key once, and again after release', () => {
    const store = memoryStore();
    expect(store.claim('k', 60)).toBe(true);
    expect(store.claim('k', 60)).toBe(false);
    expect(store.claim('other', 60)).toBe(true);
    store.release('k');
    expect(store.claim('k', 60)).toBe(true);
  });

  it('forgets the least recently used key beyond max, and never grows past it', () => {
    const store = memoryStore({ max: 3 });
    for (const key of ['a', 'b', 'c', 'd']) store.claim(key, 60);
    expect(store.size).toBe(3);
    expect(store.claim('a', 60)).toBe(true);
    expect(store.claim('d', 60)).toBe(false);
  });

  it('remembers a key for the time-to-live the middleware asks for, on the injected clock', () => {
    let now = 1_000_000;
    const store = memoryStore({ now: () => now });
    store.claim('k', 60);
    now += 59_000;
    expect(store.claim('k', 60)).toBe(false);
    now += 2_000;
    expect(store.claim('k', 60)).toBe(true);
  });

  it('keeps a key longer when its own ttlSeconds is longer than asked', () => {
    let now = 1_000_000;
    const store = memoryStore({ ttlSeconds: 120, now: () => now });
    store.claim('k', 60);
    now += 90_000;
    expect(store.claim('k', 60)).toBe(false);
    now += 31_000;
    expect(store.claim('k', 60)).toBe(true);
  });

  it.each([
    [{ max: 0 }, 'memoryStore.max'],
    [{ max: 2.5 }, 'memoryStore.max'],
    [{ ttlSeconds: -1 }, 'memoryStore.ttlSeconds'],
  ])('refuses %j, naming the option', (options, option) => {
    expect(() => memoryStore(options)).toThrow(PiapiWebhookConfigError);
    expect(() => memoryStore(options)).toThrow(`"${option}"`);
  });
});
