/**
 * What the real-runtime suites install: a tarball packed from a fresh build of
 * the sources, consumer projects that install it as users do, and the runtimes'
 * binaries from the npm registry, once per machine under the OS temp dir.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = promisify(execFile);

/** Where the consumer apps live; each is copied into a consumer project. */
const APPS = join(__dirname, 'apps');

/** Pinned versions of the runtimes' npm packages: `npm run test:runtimes` installs exactly these, once per machine. */
const RUNTIME_PACKAGES = JSON.parse(readFileSync(join(__dirname, 'runtimes.json'), 'utf8')) as Record<string, string>;

async function sh(command: string, args: string[], cwd: string): Promise<string> {
  const { stdout } = await run(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** The files a build reads: the package as published, minus what it leaves out. */
const SKIPPED = new Set(['node_modules', 'dist', '.git', '__tests__', 'bench', 'examples', 'coverage']);

function sourceDigest(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (SKIPPED.has(name)) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(relative(ROOT, path)).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  walk(ROOT);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Builds the sources in a staging copy and packs it, as `npm pack` would publish
 * it, and returns the tarball's path. Building a copy (not the repo's dist) keeps
 * suites that run at once from rebuilding dist under each other's feet; the
 * tarball is cached by a digest of the sources, so every suite of one run shares it.
 */
export async function packTarball(): Promise<string> {
  const cache = join(tmpdir(), 'piapi-webhook-tarballs');
  mkdirSync(cache, { recursive: true });
  const cached = join(cache, `piapi-webhook-${sourceDigest()}.tgz`);
  if (existsSync(cached)) return cached;
  const staging = mkdtempSync(join(tmpdir(), 'piapi-webhook-staging-'));
  try {
    cpSync(ROOT, staging, {
      recursive: true,
      filter: (source) => !SKIPPED.has(relative(ROOT, source).split(/[\\/]/)[0] ?? ''),
    });
    symlinkSync(join(ROOT, 'node_modules'), join(staging, 'node_modules'), 'dir');
    await sh(process.execPath, ['scripts/build.mjs'], staging);
    // --ignore-scripts: `prepare` would build again; the build above is the fresh one.
    await sh(npm, ['pack', '--silent', '--ignore-scripts', '--pack-destination', staging], staging);
    const packed = readdirSync(staging).find((file) => file.endsWith('.tgz'));
    if (packed === undefined) throw new Error('npm pack produced no tarball');
    // Another suite may have packed the same sources meanwhile: the rename is atomic, and either copy is right.
    renameSync(join(staging, packed), cached);
    return cached;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * A fresh consumer project (a temp dir) with the tarball, the given packages and
 * the consumer apps installed. The caller removes it.
 */
export async function consumerProject(tarball: string, packages: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'piapi-webhook-runtime-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'runtime-consumer', private: true, type: 'module' }));
  cpSync(APPS, dir, { recursive: true });
  await sh(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, ...packages], dir);
  return dir;
}

/**
 * The runtimes' binaries (`bun`, `deno`, `workerd`, `esbuild`), installed from the
 * npm registry at the versions of runtimes.json, once per machine, into a cache
 * under the OS temp dir. Returns the cache's `node_modules/.bin`.
 */
export async function runtimeBinaries(): Promise<string> {
  const specs = Object.entries(RUNTIME_PACKAGES).map(([name, version]) => `${name}@${version}`);
  const digest = createHash('sha256').update(specs.join(' ')).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `piapi-webhook-runtimes-${digest}`);
  const bin = join(dir, 'node_modules', '.bin');
  if (existsSync(join(dir, 'installed'))) return bin;
  const staging = mkdtempSync(join(tmpdir(), 'piapi-webhook-runtimes-staging-'));
  writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: 'runtimes', private: true }));
  await sh(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', ...specs], staging);
  writeFileSync(join(staging, 'installed'), specs.join('\n'));
  try {
    renameSync(staging, dir);
  } catch (error) {
    // Installed by another run meanwhile: use theirs.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(dir, 'installed'))) throw error;
  }
  return bin;
}
