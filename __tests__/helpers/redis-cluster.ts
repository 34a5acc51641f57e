/**
 * A real Redis Cluster of the test's own: three redis-server nodes in cluster
 * mode on free loopback ports, each with its own directory for nodes.conf,
 * joined by `redis-cli --cluster create`, with no replicas. Started and stopped
 * by the test, never a system service.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { redisAvailable } from './redis-server.js';

const SERVER = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';
const CLI = process.env['REDIS_CLI_BIN'] ?? 'redis-cli';
/** Only turns a hang into a clear failure: forming a cluster takes a second or two. */
const DEADLINE_MS = 60_000;

/** The server's major version: `cluster-port`, which lets the bus port be chosen free, came with Redis 7. */
const serverMajor = Number(
  /v=(\d+)\./.exec(String(spawnSync(SERVER, ['--version'], { encoding: 'utf8' }).stdout))?.[1],
);
const cliRuns = spawnSync(CLI, ['--version'], { stdio: 'ignore' }).status === 0;

/** Whether a cluster can be formed here: redis-server 7+ and redis-cli both run. */
export const redisClusterAvailable = redisAvailable && cliRuns && serverMajor >= 7;

if (redisAvailable && !redisClusterAvailable) {
  const why = cliRuns ? `${SERVER} is older than 7` : `${CLI} cannot be run (apt-get install redis-tools)`;
  if (process.env['PIAPI_REQUIRE_REDIS'] === '1') throw new Error(`PIAPI_REQUIRE_REDIS=1 but ${why}`);
  console.warn(`Redis Cluster suites skipped: ${why}.`);
}

/** `describe` where a cluster can be formed, `describe.skip` (with a warning) where not. */
export const describeWithRedisCluster = redisClusterAvailable ? describe : describe.skip;

/** Runs redis-cli and resolves with its output; rejects when it fails. */
function cli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(CLI, [...args], { timeout: DEADLINE_MS }, (error, stdout, stderr) =>
      error ? reject(new Error(`${CLI} ${args.join(' ')} failed: ${error.message} ${stderr}`)) : resolve(stdout),
    );
  });
}

async function until(what: string, condition: () => Promise<boolean>): Promise<void> {
  const giveUpAt = Date.now() + DEADLINE_MS;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > giveUpAt) throw new Error(`timed out after ${DEADLINE_MS} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Node {
  readonly port: number;
  readonly args: readonly string[];
  process: ChildProcess | undefined;
}

/** Resolves once the child has exited (at once if it has). */
function killed(child: ChildProcess | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

export class RedisCluster {
  private constructor(
    private readonly nodes: Node[],
    private readonly dir: string,
  ) {}

  /** Starts `size` master nodes, forms the cluster, and waits until every node reports `cluster_state:ok`. */
  static async start(size = 3): Promise<RedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'piapi-redis-cluster-'));
    const cluster = new RedisCluster([], dir);
    try {
      for (let index = 0; index < size; index += 1) {
        const [port, busPort] = [await freePort(), await freePort()];
        // Each node its own directory: nodes.conf is the node's identity, written by the node itself.
        const nodeDir = join(dir, String(port));
        mkdirSync(nodeDir);
        const args = [
          '--port', String(port),
          '--bind', '127.0.0.1',
          // The bus port is chosen free too, rather than port + 10000, which another process may hold.
          '--cluster-port', String(busPort),
          '--cluster-enabled', 'yes',
          '--cluster-config-file', 'nodes.conf',
          '--dir', nodeDir,
          '--save', '',
          '--appendonly', 'no',
        ]; // prettier-ignore
        cluster.nodes.push({ port, args, process: undefined });
      }
      await Promise.all(cluster.nodes.map((_, index) => cluster.spawnNode(index)));
      await cli(['--cluster', 'create', ...cluster.addresses, '--cluster-replicas', '0', '--cluster-yes']);
      await cluster.healthy();
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  private async spawnNode(index: number): Promise<void> {
    const node = this.nodes[index]!;
    node.process = spawn(SERVER, node.args, { stdio: 'ignore' });
    await until(
      `node ${node.port} to answer`,
      async () => (await cli(['-p', String(node.port), 'PING'])).trim() === 'PONG',
    );
  }

  /** Waits until every node reports `cluster_state:ok`. */
  private async healthy(): Promise<void> {
    for (const { port } of this.nodes) {
      await until(`node ${port} to report cluster_state:ok`, async () =>
        (await cli(['-p', String(port), 'CLUSTER', 'INFO'])).includes('cluster_state:ok'),
      );
    }
  }

  /** The index of the master that serves `key`'s slot. */
  async nodeOf(key: string): Promise<number> {
    const slot = await this.keySlot(key);
    // CLUSTER NODES: `<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges…>`.
    const lines = (await cli(['-p', String(this.nodes[0]!.port), 'CLUSTER', 'NODES'])).trim().split('\n');
    for (const line of lines) {
      const [, address = '', , , , , , , ...ranges] = line.trim().split(' ');
      const serves = ranges.some((range) => {
        const [from = -1, to = from] = range.split('-').map(Number);
        return slot >= from && slot <= to;
      });
      if (serves) return this.nodes.findIndex(({ port }) => address.startsWith(`127.0.0.1:${port}@`));
    }
    throw new Error(`no node serves slot ${slot}`);
  }

  /** Kills one node, as a crash would. Its slots are unreachable until {@link resumeNode}. */
  async stopNode(index: number): Promise<void> {
    await killed(this.nodes[index]!.process);
  }

  /** Starts a stopped node again, on its port and with its nodes.conf (so with its slots, emptied), and waits until the cluster is ok. */
  async resumeNode(index: number): Promise<void> {
    await this.spawnNode(index);
    await this.healthy();
  }

  /** `host:port` of every node. */
  get addresses(): string[] {
    return this.nodes.map(({ port }) => `127.0.0.1:${port}`);
  }

  /** `redis://` URLs of every node, for node-redis's `rootNodes` or an environment variable. */
  get urls(): string[] {
    return this.nodes.map(({ port }) => `redis://127.0.0.1:${port}`);
  }

  /** The nodes' URLs, comma-separated: one environment variable (REDIS_URL) for an app of the fault suite. */
  get url(): string {
    return this.urls.join(',');
  }

  /** `{ host, port }` of every node, for ioredis's `Cluster`. */
  get hosts(): Array<{ host: string; port: number }> {
    return this.nodes.map(({ port }) => ({ host: '127.0.0.1', port }));
  }

  /** The hash slot of a key, as the cluster computes it. */
  async keySlot(key: string): Promise<number> {
    return Number((await cli(['-p', String(this.nodes[0]!.port), 'CLUSTER', 'KEYSLOT', key])).trim());
  }

  /** Kills every node and removes their files. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => killed(node.process)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
