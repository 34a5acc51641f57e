/**
 * The Upstash REST bridge (helpers/upstash-bridge.ts) against what Upstash documents, through
 * raw HTTP and through the real `@upstash/redis` client: the tests of upstashStore are only as
 * good as this stand-in.
 */
import { Redis as UpstashRedis } from '@upstash/redis';
import { describeWithRedis, RedisServer } from '../helpers/redis-server.js';
import { UpstashBridge } from '../helpers/upstash-bridge.js';

describeWithRedis('the Upstash REST bridge', () => {
  let server: RedisServer;
  let bridge: UpstashBridge;

  beforeAll(async () => {
    server = await RedisServer.start();
    bridge = await UpstashBridge.start(server.url, 'the-token');
  });
  afterAll(async () => {
    await bridge.close();
    await server.stop();
  });

  const call = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${bridge.url}${path}`, {
      method: 'POST',
      headers: { authorization: 'Bearer the-token', 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };

  it('runs one command from a JSON array, numbers included, in a { result } envelope', async () => {
    expect(await call('/', ['SET', 'bridge:a', 'x', 'PX', 60_000])).toEqual({ status: 200, body: { result: 'OK' } });
    expect(await call('/', ['GET', 'bridge:a'])).toEqual({ status: 200, body: { result: 'x' } });
    expect(await call('/', ['INCR', 'bridge:n'])).toEqual({ status: 200, body: { result: 1 } });
    expect(await call('/', ['GET', 'bridge:missing'])).toEqual({ status: 200, body: { result: null } });
  });

  it('answers a Redis error with 400 and { error }', async () => {
    expect(await call('/', ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'])).toEqual({
      status: 400,
      body: { error: expect.stringMatching(/^NOSCRIPT/) },
    });
    expect(await call('/', { not: 'a command' })).toMatchObject({ status: 400 });
  });

  it('refuses a missing or wrong token with 401, another method with 405, another path with 404', async () => {
    expect(await call('/', ['PING'], { authorization: 'Bearer nope' })).toEqual({
      status: 401,
      body: { error: 'Unauthorized' },
    });
    const get = await fetch(`${bridge.url}/`, { headers: { authorization: 'Bearer the-token' } });
    expect(get.status).toBe(405);
    expect((await call('/nowhere', ['PING'])).status).toBe(404);
  });

  it('base64-encodes bulk strings, inside arrays too, when asked with Upstash-Encoding', async () => {
    await call('/', ['DEL', 'bridge:list']);
    await call('/', ['RPUSH', 'bridge:list', 'héllo', '42']);
    const encoded = await call('/', ['LRANGE', 'bridge:list', '0', '-1'], { 'upstash-encoding': 'base64' });
    expect(encoded).toEqual({ status: 200, body: { result: ['aMOpbGxv', 'NDI='] } });
    expect(await call('/', ['SET', 'bridge:b', 'y'], { 'upstash-encoding': 'base64' })).toEqual({
      status: 200,
      body: { result: 'OK' },
    });
    expect(await call('/', ['LLEN', 'bridge:list'], { 'upstash-encoding': 'base64' })).toEqual({
      status: 200,
      body: { result: 2 },
    });
  });

  it('runs /pipeline in order, one envelope per command, an error in one not stopping the others', async () => {
    const answer = await call('/pipeline', [
      ['SET', 'bridge:p', '1'],
      ['INCR', 'bridge:list'],
      ['INCR', 'bridge:p'],
    ]);
    expect(answer).toEqual({
      status: 200,
      body: [{ result: 'OK' }, { error: expect.stringMatching(/^WRONGTYPE/) }, { result: 2 }],
    });
  });

  it('runs /multi-exec as one MULTI/EXEC, and refuses the whole transaction when a command cannot be queued', async () => {
    expect(
      await call('/multi-exec', [
        ['SET', 'bridge:m', '1'],
        ['INCR', 'bridge:m'],
      ]),
    ).toEqual({ status: 200, body: [{ result: 'OK' }, { result: 2 }] });
    expect(await call('/multi-exec', [['SET', 'bridge:m', '10'], ['NOSUCHCOMMAND']])).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/EXECABORT/) },
    });
    expect(await call('/', ['GET', 'bridge:m'])).toEqual({ status: 200, body: { result: '2' } });
  });

  it('serves the real @upstash/redis client: commands, auto-pipelining, pipelines and transactions, counted per path', async () => {
    const redis = new UpstashRedis({ url: bridge.url, token: 'the-token' });
    const counted = async <T>(work: () => Promise<T>): Promise<[T, Record<string, number>]> => {
      const before = { ...bridge.requests };
      const result = await work();
      const after: Record<string, number> = {};
      for (const [path, count] of Object.entries(bridge.requests))
        if (count !== before[path as keyof typeof before]) after[path] = count - before[path as keyof typeof before];
      return [result, after];
    };
    // Auto-pipelining (the default) sends the commands of one tick in /pipeline requests (its writes and its reads apart).
    // Replies are JSON-parsed by the client: '42' comes back as 42, '007' (not JSON) as it was.
    const [values, auto] = await counted(() =>
      Promise.all([
        redis.set('bridge:c', '42'),
        redis.set('bridge:d', '007'),
        redis.get('bridge:c'),
        redis.get('bridge:d'),
      ]),
    );
    expect(values).toEqual(['OK', 'OK', 42, '007']);
    expect(Object.keys(auto)).toEqual(['/pipeline']);
    const [[, incremented], multi] = await counted(() => redis.multi().set('bridge:t', 1).incr('bridge:t').exec());
    expect([incremented, multi]).toEqual([2, { '/multi-exec': 1 }]);
    expect(await counted(() => redis.pipeline().set('bridge:q', 'a').get('bridge:q').exec())).toEqual([
      ['OK', 'a'],
      { '/pipeline': 1 },
    ]);
    // Without auto-pipelining, one command is one POST /.
    const plain = new UpstashRedis({ url: bridge.url, token: 'the-token', enableAutoPipelining: false });
    expect(await counted(() => plain.get('bridge:q'))).toEqual(['a', { '/': 1 }]);
  });
});
