/**
 * How `redisStore` sends one command through whichever client it was given:
 * node-redis or ioredis, a single node or a Redis Cluster. Nothing else of the
 * client is used, so neither library is a dependency.
 */

/**
 * The part of a Redis client this store uses: a node-redis (`redis` v4+) client
 * or cluster (`createCluster`), recognised by `sendCommand`, or an `ioredis`
 * client or `Cluster`, recognised by `call`.
 * Typed loosely on purpose: both libraries' own overloads must fit.
 */
export interface RedisClientLike {
  // `any` at this boundary only: both clients' overloaded signatures must fit, and a
  // node-redis cluster's `sendCommand(firstKey, isReadonly, args)` as well as a client's `sendCommand(args)`.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  sendCommand?(...args: any[]): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call?(command: string, ...args: any[]): Promise<unknown>;
  on?(event: 'error', listener: (error: unknown) => void): unknown;
  on?(event: 'ready', listener: () => void): unknown;
  listenerCount?(event: 'error'): number;
}

/**
 * Sends one command.
 * @param args - the command as sent on the wire, its name first
 * @param firstKey - the command's first key: a cluster client sends the command to the node that holds its slot
 */
export type RedisCommand = (args: readonly string[], firstKey: string) => Promise<unknown>;

/** A client, reduced to what `redisStore` needs of it. */
export interface RedisConnection {
  /** Sends one command (see {@link RedisCommand}). */
  readonly command: RedisCommand;
  /** Whether the client spreads keys over the hash slots of a Redis Cluster. */
  readonly cluster: boolean;
}

/** ioredis marks both kinds: `Redis#isCluster` is false, `Cluster#isCluster` true. */
function isIoredisCluster(client: RedisClientLike): boolean {
  return (client as { isCluster?: unknown }).isCluster === true;
}

/** A node-redis cluster lists its masters (`masters` from 4.6 on, `getMasters()` before); a client has no such list. */
function isNodeRedisCluster(client: RedisClientLike): boolean {
  const cluster = client as { masters?: unknown; getMasters?: unknown };
  return Array.isArray(cluster.masters) || typeof cluster.getMasters === 'function';
}

/**
 * Turns a client into one `command(args, firstKey)` function, and says whether it is a cluster client.
 * @param client - a node-redis client or cluster, or an ioredis client or `Cluster` (anything else gives undefined)
 * @returns undefined when `client` is none of these
 */
export function redisConnection(client: RedisClientLike | null | undefined): RedisConnection | undefined {
  // A JavaScript caller can pass anything, undefined included.
  if (typeof client?.call === 'function') {
    // ioredis finds the keys of every command itself (EVALSHA's from its numkeys) and a Cluster routes by the first.
    return { command: (args) => client.call!(args[0]!, ...args.slice(1)), cluster: isIoredisCluster(client) };
  }
  if (typeof client?.sendCommand === 'function') {
    if (isNodeRedisCluster(client)) {
      // A node-redis cluster does not parse a raw command: it is told which key routes it.
      return {
        command: (args, firstKey) => Promise.resolve(client.sendCommand!(firstKey, false, args)),
        cluster: true,
      };
    }
    return { command: (args) => Promise.resolve(client.sendCommand!(args)), cluster: false };
  }
  return undefined;
}
