/**
 * Packs the package as npm would publish it, installs the tarball into a fresh
 * consumer project, and uses it from CommonJS, ESM and TypeScript.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../helpers/ports.js';
import { eventually } from '../helpers/wait.js';

const ROOT = join(__dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function sh(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

jest.setTimeout(240_000);

/** README.md, then every page of docs/ in name order: the snippets they mark are checked wherever they live. */
function documentation(): string {
  const docs = join(ROOT, 'docs');
  const pages = readdirSync(docs)
    .filter((file) => file.endsWith('.md'))
    .sort()
    .map((file) => join(docs, file));
  return [join(ROOT, 'README.md'), ...pages].map((page) => readFileSync(page, 'utf8')).join('\n');
}

describe('the packed tarball', () => {
  let dir: string;
  let tarball: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'piapi-webhook-consumer-'));
    // --ignore-scripts: npm test has just built dist, and prepack's rebuild would delete it under
    // suites that run the built package at the same time (the CLI tests, the fault suite).
    sh(npm, ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], ROOT);
    const packed = readdirSync(dir).find((file) => file.endsWith('.tgz'));
    if (packed === undefined) throw new Error('npm pack produced no tarball');
    tarball = join(dir, packed);
    cpSync(join(__dirname, 'consumer'), dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    sh(
      npm,
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        tarball,
        'express@^5',
        'express4@npm:express@^4',
        'supertest@^7',
      ],
      dir,
    );
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds dist, README, LICENSE and package.json, and nothing else', () => {
    const files = sh('tar', ['-tzf', tarball], dir)
      .split('\n')
      .filter(Boolean)
      .map((file) => file.replace(/^package\//, ''));
    expect(files.filter((file) => !file.startsWith('dist/')).sort()).toEqual(['LICENSE', 'README.md', 'package.json']);
    expect(files).toEqual(
      expect.arrayContaining(['dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/esm/index.js', 'dist/esm/index.d.ts']),
    );
  });

  it('ships the license of every package it bundles instead of installing', () => {
    // Installed, a package ships its own license; bundled, it is ours to ship (scripts/build.mjs writes the notices).
    const notices = readFileSync(join(dir, 'node_modules', 'piapi-webhook', 'dist', 'THIRD_PARTY_NOTICES.md'), 'utf8');
    const installed = Object.keys(
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> })
        .dependencies,
    );
    for (const bundled of ['lru-cache', 'bytes', 'content-type', '@noble/hashes']) {
      expect(installed).not.toContain(bundled);
      expect(notices).toMatch(new RegExp(`^## ${bundled.replace('/', '\\/')} \\d+\\.\\d+\\.\\d+ \\(\\S+\\)$`, 'm'));
    }
  });

  it.each([
    ['dist/esm/', 'import'],
    ['dist/cjs/', 'require'],
  ] as const)(
    'ships as JavaScript in %s only the entry points ("exports", "bin") and the chunks they share',
    (folder, condition) => {
      // scripts/build.mjs bundles each format; tsc's per-module .js files would be dead code there.
      type Manifest = {
        exports: Record<string, Partial<Record<string, { default: string }>>>;
        bin: Record<string, string>;
      };
      const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
      const branches = Object.values(manifest.exports).flatMap((entry) =>
        entry[condition] === undefined ? [] : [entry[condition].default],
      );
      const entries = [...branches, ...Object.values(manifest.bin)]
        .map((file) => file.replace(/^\.\//, ''))
        .filter((file) => file.startsWith(folder));
      const javascript = sh('tar', ['-tzf', tarball], dir)
        .split('\n')
        .map((file) => file.replace(/^package\//, ''))
        .filter((file) => file.startsWith(folder) && /\.[cm]?js$/.test(file));
      expect(javascript.filter((file) => !entries.includes(file) && !file.startsWith(`${folder}chunks/`))).toEqual([]);
      expect(javascript).toEqual(expect.arrayContaining(entries));
    },
  );

  it('has no script that runs when it is installed', () => {
    // npm 11 warns about install-time scripts on every install of a package that
    // keeps one (prepare included), so the build runs in prepack instead.
    const manifest = JSON.parse(sh('tar', ['-xzOf', tarball, 'package/package.json'], dir)) as {
      scripts?: Record<string, string>;
    };
    const installTime = ['preinstall', 'install', 'postinstall', 'prepare'];
    expect(Object.keys(manifest.scripts ?? {}).filter((name) => installTime.includes(name))).toEqual([]);
  });

  const expected = {
    first: [200, 'ok', null],
    retry: [200, 'ok', null],
    progress: [200, 'ok', null],
    completed: [200, 'ok', null],
    resentEnd: [200, 'ok', null],
    wrongSecret: [401, 'invalid_secret', null],
    stale: [400, 'stale_timestamp', null],
    malformed: [400, 'invalid_json', null],
    tooLarge: [413, 'payload_too_large', null],
    textPlain: [415, 'unsupported_media_type', null],
    get: [405, 'method_not_allowed', 'POST'],
  };

  it.each([
    ['CommonJS', 'cjs.cjs'],
    ['ESM', 'esm.mjs'],
  ])('holds the behaviour table from %s, on Express 5 and 4', (_name, script) => {
    const run = spawnSync(process.execPath, [script], { cwd: dir, encoding: 'utf8' });
    // Nothing on stderr: no ExperimentalWarning from loading the JSON fixtures in ESM.
    expect([run.status, run.stderr]).toEqual([0, '']);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const { results, handled } = JSON.parse(line) as { results: unknown; handled: string[] };
      expect(results).toEqual(expected);
      expect(handled).toEqual(['processing', 'processing', 'completed']);
    }
  });

  it.each([
    [
      'CommonJS',
      [
        '-e',
        "require('./fake-piapi-scenario.cjs').tryRecovery(require('express'), require('piapi-webhook').piapiWebhook, require('piapi-webhook/testing').createFakePiapi)",
      ],
    ],
    [
      'ESM',
      [
        '--input-type=module',
        '-e',
        "import s from './fake-piapi-scenario.cjs'; import express from 'express'; import { piapiWebhook } from 'piapi-webhook'; import { createFakePiapi } from 'piapi-webhook/testing'; await s.tryRecovery(express, piapiWebhook, createFakePiapi);",
      ],
    ],
  ])('tries recovery locally from %s with createFakePiapi() from piapi-webhook/testing', (_name, args) => {
    const run = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(JSON.parse(run.stdout)).toEqual({
      handled: [
        ['pending', 'webhook'],
        ['completed', 'recovery'],
      ],
      recovered: [expect.any(String)],
      envelope: [200, 'completed', 'success'],
      refused: [
        [1, false],
        [2, false],
        [3, true],
      ],
      sameTask: true,
    });
  });

  it.each(['node16', 'bundler'])('type-checks a TypeScript consumer with moduleResolution %s', (resolution) => {
    const tsc = require.resolve('typescript/bin/tsc');
    const module = resolution === 'bundler' ? 'esnext' : 'node16';
    const args = ['--noEmit', '--strict', '--skipLibCheck', '--module', module, '--moduleResolution', resolution];
    args.push('--target', 'es2022', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types'), 'typed.ts');
    expect(() => sh(process.execPath, [tsc, ...args], dir)).not.toThrow();
  });

  it('runs the installed CLI: fixtures, and send and listen against each other', async () => {
    const bin = join(dir, 'node_modules', '.bin', 'piapi-webhook');
    expect(sh(bin, ['fixtures'], dir)).toContain('midjourney-imagine-completed');

    const listener = spawn(bin, ['listen', '--port', '0', '--secret', 'cli'], { cwd: dir });
    try {
      const lines: string[] = [];
      const reader = createInterface({ input: listener.stdout });
      const url = await new Promise<string>((resolve) =>
        reader.on('line', (line) => {
          lines.push(line);
          const match = /listening on (\S+)/.exec(line);
          if (match) resolve(match[1]!);
        }),
      );
      expect(sh(bin, ['send', url, '--secret', 'cli', '--fixture', 'luma-video-generation-completed'], dir)).toContain(
        '200',
      );
      expect(() => sh(bin, ['send', url, '--secret', 'wrong'], dir)).toThrow();
      // The listener prints each outcome as it happens; wait for both lines.
      const accepted = () => lines.some((line) => /accepted .*luma\/video_generation\s+completed/.test(line));
      const refused = () => lines.some((line) => line.includes('refused 401 invalid_secret'));
      await eventually(() => accepted() && refused(), `both outcome lines in:\n${lines.join('\n')}`);
    } finally {
      listener.kill('SIGINT');
    }
  });

  it("type-checks the README's and docs/' TypeScript snippets as written, as CommonJS (no top-level await)", () => {
    const snippets = [...documentation().matchAll(/<!-- typecheck: (\S+) -->\n( *)```ts\n([\s\S]*?)\n\2```/g)];
    expect(snippets.map(([, name]) => name)).toEqual(['fastify.ts', 'quick-start.ts', 'redis-store.ts']);
    const project = join(dir, 'readme-snippets');
    mkdirSync(project);
    for (const [, name, indent, code] of snippets) {
      writeFileSync(
        join(project, name!),
        code!
          .split('\n')
          .map((line) => line.slice(indent!.length))
          .join('\n'),
      );
    }
    writeFileSync(join(project, 'package.json'), JSON.stringify({ type: 'commonjs' }));
    const modules = join(ROOT, 'node_modules');
    const compilerOptions = {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      esModuleInterop: true,
      module: 'node16',
      moduleResolution: 'node16',
      target: 'es2022',
      types: ['node'],
      typeRoots: [join(modules, '@types')],
      // The consumer project installs express and the package; the types come from this repository.
      paths: {
        express: [join(modules, '@types', 'express')],
        redis: [join(modules, 'redis')],
        fastify: [join(modules, 'fastify')],
      },
    };
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, files: snippets.map(([, name]) => name) }),
    );
    const tsc = require.resolve('typescript/bin/tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', project], { cwd: project, encoding: 'utf8' });
    expect([result.status, result.stdout]).toEqual([0, '']);
  });

  it("runs the README's quick start as written, and receives a notification sent with the CLI", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const [, code] = /<!-- run: server\.js -->\n```js\n([\s\S]*?)```/.exec(readme) ?? [];
    expect(code?.split('\n').filter((line) => line.trim() !== '').length).toBeLessThanOrEqual(10);
    writeFileSync(join(dir, 'server.js'), code!);
    const port = await freePort();
    const server = spawn(process.execPath, ['server.js'], {
      cwd: dir,
      env: { ...process.env, PORT: String(port), PIAPI_WEBHOOK_SECRET: 'change-me' },
    });
    try {
      const lines: string[] = [];
      createInterface({ input: server.stdout }).on('line', (line) => lines.push(line));
      const url = `http://localhost:${port}/piapi/webhook`;
      await eventually(
        () => lines.includes(`Receiving PiAPI webhooks at ${url}`),
        `the server to start:\n${lines.join('\n')}`,
      );
      const bin = join(dir, 'node_modules', '.bin', 'piapi-webhook');
      const args = ['send', url, '--secret', 'change-me', '--fixture', 'suno-generate-music-custom-completed'];
      expect(sh(bin, args, dir)).toContain('attempt 1: 200');
      await eventually(
        () => lines.some((line) => /^task \S+: music-s completed/.test(line)),
        `the task line in:\n${lines.join('\n')}`,
      );
    } finally {
      server.kill('SIGKILL');
    }
  });

  it("passes the documentation's testing example (docs/testing.md), run as written", () => {
    const files = [...documentation().matchAll(/<!-- file: (\S+) -->\n```js\n([\s\S]*?)```/g)];
    expect(files.map(([, name]) => name)).toEqual(['app.js', 'webhook.test.js']);
    const project = join(dir, 'readme-example');
    mkdirSync(project);
    for (const [, name, code] of files) writeFileSync(join(project, name!), code!);
    // The repo's jest, run in the consumer project: the example resolves everything from there.
    const jest = require.resolve('jest/bin/jest');
    const result = spawnSync(process.execPath, [jest, '--rootDir', project, '--ci'], { cwd: dir, encoding: 'utf8' });
    expect([result.status, result.stderr]).toEqual([0, expect.stringMatching(/Tests:\s+3 passed, 3 total/)]);
  });
});
