/**
 * What every real-runtime suite shares: a tarball packed from a fresh build of
 * the sources, consumer projects that install it from npm's point of view, the
 * runtimes' binaries (installed once into a cache under the OS temp dir), server
 * processes that print the port they listen on, and the checks every runtime must
 * pass.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { createNotification, deliveryHeaders } from '../../lib/testing/index.js';

const ROOT = join(__dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = promisify(execFile);

/** Long enough for a cold npm install on a busy 2-core machine; it only matters when something hangs. */
export const DEADLINE_MS = 180_000;

/** The secret every consumer app is configured with. */
export const SECRET = 'runtime-secret';

/** Where the consumer apps live; each is copied into a consumer project. */
export const APPS = join(__dirname, 'apps');

/** Pinned versions of the runtimes' npm packages: `npm run test:runtimes` installs exactly these, once per machine. */
export const RUNTIME_PACKAGES = JSON.parse(readFileSync(join(__dirname, 'runtimes.json'), 'utf8')) as Record<string, string>;

async function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { stdout } = await run(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
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
    cpSync(ROOT, staging, { recursive: true, filter: (source) => !SKIPPED.has(relative(ROOT, source).split(/[\\/]/)[0] ?? '') });
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
export async function consumerProject(tarball: string, packages: string[], type: 'module' | 'commonjs' = 'module'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'piapi-webhook-runtime-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'runtime-consumer', private: true, type }));
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

/** A free loopback port, for servers that cannot listen on port 0 and say which port they got. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** A consumer server process, its base URL, and what it printed. */
export interface RunningServer {
  readonly url: string;
  readonly output: string[];
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
}

/** The line a consumer app prints once it listens: `listening <port>`. */
const LISTENING = (line: string): string | undefined => {
  const port = /^listening (\d+)$/.exec(line.trim())?.[1];
  return port === undefined ? undefined : `http://127.0.0.1:${port}`;
};

/**
 * Starts a server process and resolves once a line of its output tells that it
 * listens (`ready` turns that line into its base URL; by default the apps'
 * `listening <port>`). Fails with its output if it exits first, or at the deadline.
 */
export function startServer(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  ready: (line: string) => string | undefined = LISTENING,
): Promise<RunningServer> {
  const child = spawn(command, args, { cwd, env: { ...process.env, PIAPI_SECRET: SECRET, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const stop = stopper(child);
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`${command} ${args.join(' ')}: ${why}\n${output.join('\n')}`)));
    };
    const timer = setTimeout(() => fail('no line saying it listens before the deadline'), DEADLINE_MS);
    createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const url = ready(line);
      if (url !== undefined) {
        clearTimeout(timer);
        resolve({ url, output, stop });
      }
    });
    child.once('error', (error) => fail(String(error)));
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before listening`));
  });
}

/** Resolves once `server` has printed a line that matches, polling its output until the deadline. */
export async function waitForOutput(server: RunningServer, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const line = server.output.find((text) => pattern.test(text));
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`no output line matched ${pattern}:\n${server.output.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts a server that prints nothing when it listens (workerd) on a known port,
 * and resolves once it answers `GET /handled`, polling until the deadline.
 */
export async function startSilentServer(command: string, args: string[], cwd: string, url: string): Promise<RunningServer> {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => output.push(line));
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  const stop = stopper(child);
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited (${child.exitCode}) before answering\n${output.join('\n')}`);
    try {
      if ((await fetch(`${url}/handled`)).ok) return { url, output, stop };
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${command} did not answer before the deadline\n${output.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What a consumer app's `GET /handled` lists: the task_ids its onTask has finished, in order. */
async function handled(url: string): Promise<string[]> {
  return (await (await fetch(`${url}/handled`)).json()) as string[];
}

/** Polls `GET /handled` until it lists `taskId`, or fails at the deadline with what it listed. */
export async function waitUntilHandled(url: string, taskId: string): Promise<string[]> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const list = await handled(url);
    if (list.includes(taskId)) return list;
    if (Date.now() > deadline) throw new Error(`onTask never finished ${taskId}; handled: ${JSON.stringify(list)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A POST of `body` with PiAPI's headers; the answer's status and JSON body. */
export async function post(url: string, body: string, secret = SECRET): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: deliveryHeaders(secret), body });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: response.status, body: text };
  }
}

/**
 * Sends a request over a raw socket and resolves with the answer's status and
 * JSON body, once the answer is complete or the server has closed. Refusing
 * an oversized body means the server stops reading it: a client such as fetch
 * then fails its own write (EPIPE) and loses the answer, while this one keeps
 * reading. It resolves only on events, never on a timer.
 */
export function rawPost(hookUrl: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: unknown }> {
  const { hostname, port, pathname } = new URL(hookUrl);
  const head = [`POST ${pathname} HTTP/1.1`, `host: ${hostname}:${port}`, ...Object.entries({ ...deliveryHeaders(SECRET), ...headers }).map(([k, v]) => `${k}: ${v}`)];
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    const parsed = (): { status: number; body: unknown } | undefined => {
      const text = received.toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return undefined;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, split))?.[1];
      const rest = received.subarray(Buffer.byteLength(text.slice(0, split + 4), 'latin1'));
      let bodyText: string;
      if (length !== undefined) {
        if (rest.length < Number(length)) return undefined;
        bodyText = rest.subarray(0, Number(length)).toString('utf8');
      } else {
        // Chunked: complete at the last chunk; a body of one JSON value is all we need.
        const chunked = rest.toString('utf8');
        if (!chunked.includes('\r\n0\r\n\r\n')) return undefined;
        bodyText = chunked.split('\r\n').filter((_, index) => index % 2 === 1).join('');
      }
      try {
        return { status, body: JSON.parse(bodyText) as unknown };
      } catch {
        return { status, body: bodyText };
      }
    };
    const settle = (error?: Error): void => {
      const answer = parsed();
      socket.destroy();
      if (answer) resolve(answer);
      else reject(error ?? new Error(`incomplete answer: ${JSON.stringify(received.toString('latin1'))}`));
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (parsed()) settle();
    });
    socket.once('end', () => settle());
    // EPIPE or ECONNRESET once the server has answered and closed is expected: the answer decides.
    socket.once('error', (error) => settle(error));
    socket.write(`${head.join('\r\n')}\r\n\r\n`);
    socket.write(body);
  });
}

/**
 * A chunked body of `kilobytes` kB, without its last chunk: only a server that
 * stops reading past its limit can answer it.
 */
export function streamedPastLimit(kilobytes: number): string {
  const chunk = `${(1024).toString(16)}\r\n${'x'.repeat(1024)}\r\n`;
  return `1\r\n{\r\n${chunk.repeat(kilobytes)}`;
}

/**
 * The checks every runtime must pass, against a consumer app (see apps/) whose
 * hook is at `hookUrl` and whose `GET /handled` is at `url`: a genuine delivery
 * answered 200 and handled; a wrong secret 401; the same delivery again answered
 * 200 and not handled (the apps run one handler at a time, in order, so once a
 * later delivery is handled, a duplicate's handler would have run before it);
 * an oversized body 413, announced or streamed.
 */
export async function expectReceiverBehaviour(url: string, hookUrl = `${url}/hook`): Promise<void> {
  const genuine = createNotification();
  const genuineId = genuine.data.task_id;
  expect(await post(hookUrl, JSON.stringify(genuine))).toEqual({ status: 200, body: { ok: true } });
  expect(await waitUntilHandled(url, genuineId)).toEqual([genuineId]);

  expect(await post(hookUrl, JSON.stringify(createNotification()), 'wrong-secret')).toMatchObject({ status: 401, body: { error: 'invalid_secret' } });

  expect(await post(hookUrl, JSON.stringify(genuine))).toEqual({ status: 200, body: { ok: true } });
  const later = createNotification();
  expect(await post(hookUrl, JSON.stringify(later))).toEqual({ status: 200, body: { ok: true } });
  expect(await waitUntilHandled(url, later.data.task_id)).toEqual([genuineId, later.data.task_id]);

  const oversized = JSON.stringify({ ...createNotification(), padding: 'x'.repeat(16 * 1024) });
  const tooLarge = { status: 413, body: expect.objectContaining({ error: 'payload_too_large' }) };
  expect(await rawPost(hookUrl, { 'content-length': String(Buffer.byteLength(oversized)) }, oversized)).toEqual(tooLarge);
  expect(await rawPost(hookUrl, { 'transfer-encoding': 'chunked' }, streamedPastLimit(9))).toEqual(tooLarge);
  expect(await handled(url)).toEqual([genuineId, later.data.task_id]);
}
