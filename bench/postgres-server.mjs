// A Postgres cluster of the bench's own (initdb in a temporary folder, a free loopback port), from
// Debian's binaries; as the postgres OS user when run as root, since initdb refuses root.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function binDir() {
  if (process.env.POSTGRES_BIN_DIR) return process.env.POSTGRES_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error('no Postgres binaries (apt-get install postgresql)');
  return join(root, versions[0], 'bin');
}

/**
 * Starts a private Postgres (default settings but for the port and socket folder) and resolves
 * once it accepts connections. `postmasterPid()` names the process whose tree does its work.
 * `prefix` (e.g. taskset) runs the postmaster, and so every process it forks, through it.
 * Rejects at once, saying why, when no Postgres is installed.
 */
export async function startPostgres(prefix = []) {
  const bin = binDir();
  const asRoot = userInfo().uid === 0;
  const command = (binary, args) =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, binary), ...args]] : [join(bin, binary), args];
  const dir = mkdtempSync(join(tmpdir(), 'piapi-bench-pg-'));
  if (asRoot) {
    const id = (flag) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const init = spawnSync(...command('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--locale=C']), {
    encoding: 'utf8',
  });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr}`);
  }
  const port = await freePort();
  const [server, serverArgs] = command('postgres', [
    '-D',
    data,
    '-k',
    dir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
  ]);
  const [first, ...rest] = [...prefix, server, ...serverArgs];
  const child = spawn(first, rest, { stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  const ready = () =>
    spawnSync(...command('pg_isready', ['-h', '127.0.0.1', '-p', String(port), '-q']), { stdio: 'ignore' }).status ===
    0;
  while (!ready()) {
    if (child.exitCode !== null || Date.now() > deadline) {
      // Leave nothing behind: the bench goes on without this row.
      child.kill();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`postgres did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    /** The same server through its Unix socket, as a Postgres on the same host is usually reached. */
    socketUrl: `postgres://postgres@/postgres?host=${encodeURIComponent(dir)}&port=${port}`,
    postmasterPid: () => Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]),
    stop() {
      spawnSync(...command('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']), { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
