import { createClient, createCluster } from 'redis';
import { Cluster, Redis } from 'ioredis';
import { PiapiWebhookConfigError } from '../../lib/index.js';
import { redisStore } from '../../lib/redis.js';
import { redisConnection, type RedisClientLike } from '../../lib/stores/redis-client.js';
import { clusterPrefix, hashTagOf, redisKeys } from '../../lib/stores/redis-keys.js';

describe('redisStore key layout', () => {
  it('keeps the layout of earlier versions on a single node, whatever the prefix', () => {
    const keys = redisKeys('piapi-webhook:', false);
    expect([keys.delivery('abc'), keys.due, keys.info]).toEqual([
      'piapi-webhook:d:abc',
      'piapi-webhook:watch:due',
      'piapi-webhook:watch:info',
    ]);
    expect(redisKeys('myapp:', false).delivery('k')).toBe('myapp:d:k');
    expect(redisKeys('', false).due).toBe('watch:due');
  });

  it('puts every key of a cluster store under one hash tag made of the prefix', () => {
    const keys = redisKeys('piapi-webhook:', true);
    expect([keys.delivery('abc'), keys.due, keys.info]).toEqual([
      '{piapi-webhook}:d:abc',
      '{piapi-webhook}:watch:due',
      '{piapi-webhook}:watch:info',
    ]);
  });

  it.each([
    ['myapp:', '{myapp}:'],
    ['myapp', '{myapp}'],
    ['a:b:', '{a:b}:'],
    // A prefix that already carries a hash tag is used as it is, so it names the same keys on either kind of client.
    ['{tenant-7}:piapi:', '{tenant-7}:piapi:'],
    ['app:{tenant-7}:', 'app:{tenant-7}:'],
    // Braces that make no hash tag (empty, or unclosed) are wrapped like any other text.
    ['{}x:', '{{}x}:'],
    ['a{b:', '{a{b}:'],
    ['a}b:', '{a}b}:'],
  ])('gives the prefix %j the cluster prefix %j', (prefix, expected) => {
    expect(clusterPrefix(prefix)).toBe(expected);
    expect(hashTagOf(expected)).toBeDefined();
  });

  it.each(['', ':', '}x:'])('refuses the prefix %j on a cluster, where no hash tag can be made of it', (prefix) => {
    expect(() => redisKeys(prefix, true)).toThrow(PiapiWebhookConfigError);
    expect(() => redisKeys(prefix, true)).toThrow('"redisStore.prefix"');
    expect(() => redisKeys(prefix, false)).not.toThrow();
    // At setup, through the store: a cluster client (ioredis marks it), then a single-node one.
    const call = async () => 'OK';
    expect(() => redisStore({ call, isCluster: true } as RedisClientLike, { prefix })).toThrow('"redisStore.prefix"');
    expect(() => redisStore({ call }, { prefix })).not.toThrow();
  });

  it.each([
    ['{user1000}.following', 'user1000'],
    ['foo{}{bar}', undefined],
    ['foo{{bar}}zap', '{bar'],
    ['foo{bar}{zap}', 'bar'],
    ['no-tag', undefined],
    ['{unclosed', undefined],
  ])('finds the hash tag of %j as Redis Cluster does (%j)', (key, tag) => {
    // The examples of the Redis Cluster specification, "Hash tags".
    expect(hashTagOf(key)).toBe(tag);
  });
});

describe('redisStore client recognition', () => {
  const close: Array<() => unknown> = [];
  afterAll(() => close.forEach((fn) => fn()));

  it.each([
    { name: 'a node-redis client', make: () => createClient({ url: 'redis://127.0.0.1:1' }), cluster: false },
    {
      name: 'a node-redis cluster',
      make: () => createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:1' }] }),
      cluster: true,
    },
    { name: 'an ioredis client', make: () => new Redis({ lazyConnect: true }), cluster: false },
    {
      name: 'an ioredis Cluster',
      make: () => new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true }),
      cluster: true,
    },
  ])('recognises $name (cluster: $cluster), unconnected', ({ make, cluster }) => {
    const client = make();
    if (client instanceof Redis || client instanceof Cluster) close.push(() => client.disconnect());
    expect(redisConnection(client as unknown as RedisClientLike)?.cluster).toBe(cluster);
  });

  it('sends a node-redis cluster the key that routes the command, and a client the bare command', async () => {
    const calls: unknown[][] = [];
    const cluster = { masters: [], sendCommand: (...args: unknown[]) => calls.push(args) };
    const single = { sendCommand: (...args: unknown[]) => calls.push(args) };
    await redisConnection(cluster)!.command(['GET', 'k'], 'k');
    await redisConnection(single)!.command(['GET', 'k'], 'k');
    expect(calls).toEqual([['k', false, ['GET', 'k']], [['GET', 'k']]]);
  });
});
