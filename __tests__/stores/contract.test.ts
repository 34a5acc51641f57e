/**
 * Every store the package ships, held to the same contract (contract.ts): memoryStore,
 * redisStore on node-redis and on ioredis, and upstashStore through the real
 * `@upstash/redis` client and the Upstash REST bridge, each on a real redis-server.
 * redisStore on a Redis Cluster runs it in redis-cluster.test.ts, and sqlStore in sql.test.ts.
 */
import { Redis as UpstashRedis } from '@upstash/redis';
import { Redis as IoRedis } from 'ioredis';
import { createClient } from 'redis';
import { memoryStore } from '../../lib/index.js';
import { redisStore } from '../../lib/redis.js';
import { upstashStore } from '../../lib/upstash.js';
import { describeWithRedis, RedisServer } from '../helpers/redis-server.js';
import { UpstashBridge } from '../helpers/upstash-bridge.js';
import { describeStoreContract } from './contract.js';

const uniquePrefix = (): string => `contract${Math.random().toString(36).slice(2)}:`;

describeStoreContract('memoryStore', { create: (now) => memoryStore({ now }) });

describeWithRedis('on a real redis-server', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  let nodeRedis: ReturnType<typeof createClient>;
  describeStoreContract('redisStore on node-redis', {
    beforeAll: async () => {
      nodeRedis = createClient({ url: server.url });
      await nodeRedis.connect();
    },
    afterAll: async () => {
      await nodeRedis.quit();
    },
    create: (now) => redisStore(nodeRedis, { prefix: uniquePrefix(), now }),
  });

  let ioredis: IoRedis;
  describeStoreContract('redisStore on ioredis', {
    beforeAll: async () => {
      ioredis = new IoRedis(server.url, { lazyConnect: true });
      await ioredis.connect();
    },
    afterAll: async () => {
      ioredis.disconnect();
    },
    create: (now) => redisStore(ioredis, { prefix: uniquePrefix(), now }),
  });

  let bridge: UpstashBridge;
  describeStoreContract('upstashStore through the REST bridge', {
    beforeAll: async () => {
      bridge = await UpstashBridge.start(server.url);
    },
    afterAll: async () => {
      await bridge.close();
    },
    create: (now) =>
      upstashStore(new UpstashRedis({ url: bridge.url, token: bridge.token }), { prefix: uniquePrefix(), now }),
  });
});
