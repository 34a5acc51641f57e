import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { eventually } from './wait.js';

/** Debian's binaries (`apt-get install postgresql`), newest version first, unless POSTGRES_BIN_DIR names the folder. */
function binDir(): string | undefined {
  const given = process.env['POSTGRES_BIN_DIR'];
  if (given !== undefined) return given;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => existsSync(join(root, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

const BIN = binDir();
/** initdb and postgres refuse to run as root: there, they run as the `postgres` OS user that the package creates. */
const AS_ROOT = userInfo().uid === 0;

function command(binary: string, args: string[]): [string, string[]] {
  return AS_ROOT ? ['runuser', ['-u', 'postgres', '--', join(BIN!, binary), ...args]] : [join(BIN!, binary), args];
}

/** Whether a private Postgres cluster can be started here. CI sets PIAPI_REQUIRE_POSTGRES=1 so that a missing one fails instead of skipping. */
export const postgresAvailable =
  BIN !== undefined && spawnSync(...command('postgres', ['--version']), { stdio: 'ignore' }).status === 0;

if (!postgresAvailable) {
  if (process.env['PIAPI_REQUIRE_POSTGRES'] === '1') {
    throw new Error('PIAPI_REQUIRE_POSTGRES=1 but no Postgres server binaries were found (apt-get install postgresql)');
  }
  console.warn('Postgres suites skipped: install postgresql (apt-get install postgresql) to run them.');
}

/** `describe` where Postgres can run, `describe.skip` (with the warning above) where not. */
export const describeWithPostgres = postgresAvailable ? describe : describe.skip;

/**
 * A Postgres cluster of the test's own: initdb in a temporary folder, then a
 * server on a free loopback port (its socket in that folder too), trusted
 * local connections, user `postgres`, database `postgres`. The system's own
 * service is never used.
 */
export class PostgresServer {
  private process: ChildProcess | undefined;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<PostgresServer> {
    if (!postgresAvailable) throw new Error('Postgres is not available here');
    const dir = mkdtempSync(join(tmpdir(), 'piapi-pg-'));
    if (AS_ROOT) {
      const { uid, gid } = lookupUser('postgres');
      chownSync(dir, uid, gid);
    }
    chmodSync(dir, 0o700);
    const server = new PostgresServer(dir, await freePort());
    const [initdb, args] = command('initdb', [
      '-D',
      join(dir, 'data'),
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
      '--encoding=UTF8',
      '--locale=C',
    ]);
    const init = spawnSync(initdb, args, { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    await server.resume();
    return server;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts (again), and waits until it accepts queries. */
  async resume(): Promise<void> {
    const [postgres, args] = command('postgres', [
      '-D',
      join(this.dir, 'data'),
      '-k',
      this.dir,
      '-p',
      String(this.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=200',
    ]);
    const child = spawn(postgres, args, { stdio: 'ignore' });
    this.process = child;
    const ready = (): boolean => {
      if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}`);
      const [isReady, readyArgs] = command('pg_isready', ['-h', '127.0.0.1', '-p', String(this.port), '-q']);
      return spawnSync(isReady, readyArgs, { stdio: 'ignore' }).status === 0;
    };
    await eventually(ready, `postgres to accept connections on port ${this.port}`, 60_000);
  }

  /** The pid of the server's postmaster (from its postmaster.pid), for tools that add up its CPU. */
  postmasterPid(): number {
    return Number(readFileSync(join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  /** Stops the server (SIGKILL to runuser would leave postgres running: it is told to stop at once instead). */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child !== undefined && child.exitCode === null) {
      const [pgCtl, args] = command('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
      spawnSync(pgCtl, args, { stdio: 'ignore' });
      // pg_ctl has stopped the server by now, but its exit may not have been reported yet.
      await new Promise((resolve) =>
        child.exitCode === null && child.signalCode === null ? child.once('exit', resolve) : resolve(undefined),
      );
    }
  }

  /** Stops the server and deletes its cluster. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function lookupUser(name: string): { uid: number; gid: number } {
  const result = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const groups = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (result.status !== 0 || groups.status !== 0) throw new Error(`no ${name} OS user to run Postgres as`);
  return { uid: Number(result.stdout.trim()), gid: Number(groups.stdout.trim()) };
}
