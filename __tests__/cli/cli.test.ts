/**
 * Runs the real CLI (the built dist/cjs/cli/main.js) as a child process against
 * local servers. `npm test` builds first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { eventually } from '../helpers/wait.js';
import express from 'express';
import { piapiWebhook, type PiapiTask } from '../../lib/index.js';
import { fixture } from '../../lib/testing/index.js';

const CLI = join(__dirname, '..', '..', 'dist', 'cjs', 'cli', 'main.js');
const SECRET = 'cli-secret';

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (npm test does).`);
});

function run(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // An undefined value unsets the variable.
  const childEnv = Object.fromEntries(
    Object.entries({ ...process.env, ...env }).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A receiving app; `failFirst` answers 503 to the first delivery. */
async function receiver({ failFirst = false } = {}): Promise<{
  url: string;
  received: PiapiTask[];
  close: () => void;
}> {
  const received: PiapiTask[] = [];
  const app = express();
  let calls = 0;
  if (failFirst) app.use((_req, res, next) => (++calls === 1 ? res.status(503).json({ error: 'busy' }) : next()));
  app.post('/piapi/webhook', piapiWebhook({ secret: SECRET, onTask: (task) => void received.push(task) }));
  const server: Server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/piapi/webhook`, received, close: () => server.close() };
}

/** A receiver that answers 200 with the given x-piapi-webhook-outcome, as piapi-webhook does. */
async function outcomeStub(outcome: string): Promise<{ url: string; close: () => void }> {
  const server = createServer((req, res) => {
    req
      .resume()
      .on('end', () =>
        res
          .writeHead(200, { 'content-type': 'application/json', 'x-piapi-webhook-outcome': outcome })
          .end('{"ok":true}'),
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/piapi/webhook`, close: () => server.close() };
}

describe('piapi-webhook CLI', () => {
  it.each([['--version'], ['-V']])('prints the package version with %s', async (flag) => {
    const { code, stdout } = await run([flag]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(
      (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version,
    );
  });

  it.each([[[]], [['send']], [['listen']], [['fixtures']]])('prints help for %j --help', async (command) => {
    const { code, stdout } = await run([...command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: piapi-webhook/);
  });

  it('lists the fixtures with their model, task type and status', async () => {
    const { code, stdout } = await run(['fixtures']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^midjourney-imagine-completed\s+midjourney\/imagine completed$/m);
    expect(stdout.trim().split('\n')).toHaveLength(14);
  });

  describe('send', () => {
    it('delivers a completed task by default, and exits 0 when it is accepted', async () => {
      const target = await receiver();
      try {
        const { code, stdout } = await run(['send', target.url, '--secret', SECRET]);
        expect(code).toBe(0);
        expect(stdout).toContain('attempt 1: 200 {"ok":true}');
        expect(target.received.map((task) => [task.model, task.status])).toEqual([['midjourney', 'completed']]);
      } finally {
        target.close();
      }
    });

    it('sends a fixture with an overridden status, taking the secret from PIAPI_WEBHOOK_SECRET', async () => {
      const target = await receiver();
      try {
        const { code } = await run(
          ['send', target.url, '--fixture', 'kling-video-generation-completed', '--status', 'failed'],
          {
            PIAPI_WEBHOOK_SECRET: SECRET,
          },
        );
        expect(code).toBe(0);
        expect(target.received.map((task) => [task.model, task.status])).toEqual([['kling', 'failed']]);
      } finally {
        target.close();
      }
    });

    // A pending Kling task with every documented field: none may come from another fixture.
    const klingTask = {
      task_id: 'kling-from-file',
      model: 'kling',
      task_type: 'video_generation',
      status: 'pending',
      config: { service_mode: 'public', webhook_config: { endpoint: 'https://hooks.example.com/piapi/webhook' } },
      input: { prompt: 'a paper boat on a river', duration: 5, aspect_ratio: '16:9', version: '1.6' },
      output: null,
      meta: {
        created_at: '2025-08-20T09:05:08Z',
        started_at: '0001-01-01T00:00:00Z',
        ended_at: '0001-01-01T00:00:00Z',
        usage: { type: 'point', frozen: 360000, consume: 0 },
      },
      detail: null,
      logs: [],
      error: { code: 0, raw_message: '', message: '', detail: null },
      custom_field: { kept: true },
    };

    it.each([
      ['a task', klingTask],
      ['a whole notification', { timestamp: 1, data: klingTask }],
    ])(
      'sends the task in a file holding %s as the whole data, every field unchanged, with a fresh timestamp',
      async (_name, content) => {
        const target = await receiver();
        const file = join(mkdtempSync(join(tmpdir(), 'piapi-cli-')), 'task.json');
        writeFileSync(file, JSON.stringify(content));
        try {
          const { code, stdout } = await run(['send', target.url, '--secret', SECRET, '--file', file]);
          expect(code).toBe(0);
          expect(target.received).toEqual([klingTask]);
          const timestamp = Number(/timestamp (\d+)/.exec(stdout)?.[1]);
          expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(600);
        } finally {
          target.close();
        }
      },
    );

    it('refuses a file whose JSON is not a task', async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'piapi-cli-')), 'task.json');
      writeFileSync(file, '[1, 2]');
      const { code, stderr } = await run(['send', 'http://127.0.0.1:9/x', '--secret', SECRET, '--file', file]);
      expect(code).toBe(1);
      expect(stderr).toContain('neither a task nor a notification');
    });

    it('gives a fixture a fresh task_id on every send, so that sending it twice runs the handler twice', async () => {
      const target = await receiver();
      try {
        for (let round = 0; round < 2; round += 1) {
          expect(
            (await run(['send', target.url, '--secret', SECRET, '--fixture', 'midjourney-imagine-staged'])).code,
          ).toBe(0);
        }
        const ids = target.received.map((task) => task.task_id);
        expect(ids).toHaveLength(2);
        expect(new Set([...ids, fixture('midjourney-imagine-staged').data.task_id]).size).toBe(3);
        expect(target.received.map((task) => task.status)).toEqual(['staged', 'staged']);
      } finally {
        target.close();
      }
    });

    it("keeps the fixture's task_id with --keep-id, and sends the one given with --task-id", async () => {
      const target = await receiver();
      try {
        const own = fixture('luma-video-generation-pending').data.task_id;
        expect(
          (
            await run([
              'send',
              target.url,
              '--secret',
              SECRET,
              '--fixture',
              'luma-video-generation-pending',
              '--keep-id',
            ])
          ).code,
        ).toBe(0);
        expect((await run(['send', target.url, '--secret', SECRET, '--task-id', 'chosen-id'])).code).toBe(0);
        expect(target.received.map((task) => task.task_id)).toEqual([own, 'chosen-id']);
        expect((await run(['send', target.url, '--secret', SECRET, '--task-id', 'x', '--keep-id'])).code).not.toBe(0);
      } finally {
        target.close();
      }
    });

    it('reports a duplicate from a real piapi-webhook receiver: prints its outcome header, says so on stderr and exits 2', async () => {
      const target = await receiver();
      try {
        const args = ['send', target.url, '--secret', SECRET, '--fixture', 'midjourney-upscale-completed', '--keep-id'];
        const first = await run(args);
        expect([first.code, first.stderr]).toEqual([0, '']);
        expect(first.stdout).toContain('(x-piapi-webhook-outcome: accepted)');
        const second = await run(args);
        expect(second.code).toBe(2);
        expect(second.stdout).toContain('(x-piapi-webhook-outcome: duplicate)');
        expect(second.stderr).toContain('so its handler did not run again');
        expect(target.received).toHaveLength(1);
      } finally {
        target.close();
      }
    });

    it.each([
      ['accepted', 0, ''],
      ['duplicate', 2, 'duplicate: '],
    ])(
      'prints the x-piapi-webhook-outcome the receiver reports (%s), and exits %i',
      async (outcome, exitCode, warning) => {
        const stub = await outcomeStub(outcome);
        try {
          const { code, stdout, stderr } = await run([
            'send',
            stub.url,
            '--secret',
            SECRET,
            '--task-id',
            'seen-before',
          ]);
          expect(code).toBe(exitCode);
          expect(stdout).toContain(`attempt 1: 200 {"ok":true} (x-piapi-webhook-outcome: ${outcome})`);
          if (warning === '') expect(stderr).toBe('');
          else
            expect(stderr).toMatch(
              /^duplicate: .* had already received task seen-before \(completed\), so its handler did not run again/,
            );
        } finally {
          stub.close();
        }
      },
    );

    it('exits non-zero and says why when the endpoint refuses', async () => {
      const target = await receiver();
      try {
        const { code, stdout, stderr } = await run(['send', target.url, '--secret', 'wrong']);
        expect(code).toBe(1);
        expect(stdout).toContain('401');
        expect(stdout).toContain('invalid_secret');
        expect(stderr).toContain('refused');
      } finally {
        target.close();
      }
    });

    it('with --retry, retries the same delivery after a non-2xx answer, as PiAPI does', async () => {
      const target = await receiver({ failFirst: true });
      try {
        const { code, stdout } = await run([
          'send',
          target.url,
          '--secret',
          SECRET,
          '--retry',
          '--retry-delay',
          '0.05',
        ]);
        expect(code).toBe(0);
        expect(stdout).toMatch(/attempt 1: 503[\s\S]*attempt 2: 200/);
        expect(target.received).toHaveLength(1);
      } finally {
        target.close();
      }
    });

    it('with --timeout, counts an attempt that gets no answer in time as refused, and --retry retries it', async () => {
      const received: PiapiTask[] = [];
      const app = express();
      let calls = 0;
      // The first delivery never gets an answer; the second reaches the real middleware.
      app.use((_req, _res, next) => void (++calls === 1 ? undefined : next()));
      app.post('/piapi/webhook', piapiWebhook({ secret: SECRET, onTask: (task) => void received.push(task) }));
      const server: Server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/piapi/webhook`;
      try {
        const once = await run(['send', url, '--secret', SECRET, '--timeout', '300']);
        expect(once.code).toBe(1);
        expect(once.stdout).toContain('attempt 1: no answer within 300 ms');
        expect(once.stderr).toContain('refused');
        calls = 0;
        const retried = await run([
          'send',
          url,
          '--secret',
          SECRET,
          '--timeout',
          '300',
          '--retry',
          '--retry-delay',
          '0',
        ]);
        expect(retried.code).toBe(0);
        expect(retried.stdout).toMatch(/attempt 1: no answer within 300 ms[\s\S]*attempt 2: 200/);
        expect(received).toHaveLength(1);
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });

    it('refuses a --timeout that is not a whole number above 0', async () => {
      const { code, stderr } = await run(['send', 'http://127.0.0.1:9/x', '--secret', 's', '--timeout', '0']);
      expect(code).toBe(1);
      expect(stderr).toContain('Expected a whole number above 0.');
    });

    it('refuses --fixture and --file together, and an unknown fixture', async () => {
      expect(
        (
          await run([
            'send',
            'http://127.0.0.1:9/x',
            '--secret',
            's',
            '--fixture',
            'luma-video-generation-pending',
            '--file',
            'x.json',
          ])
        ).code,
      ).not.toBe(0);
      const unknown = await run(['send', 'http://127.0.0.1:9/x', '--secret', 's', '--fixture', 'nope']);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toContain('No such fixture');
    });
  });

  describe('usage errors', () => {
    it.each([
      [['send', '--secret', 's'], "missing required argument 'url'"],
      [['send', 'http://127.0.0.1:9/x'], "required option '--secret <secret>' not specified"],
      [['send', 'http://127.0.0.1:9/x', '--secret', 's', '--fixture', 'nope'], 'No such fixture'],
      [['listen', '--secret', 's', '--port', 'x'], 'Expected a port from 0 to 65535.'],
      [['nonsense'], "unknown command 'nonsense'"],
    ])('%j prints the reason and a hint to --help, not the whole help', async (args, reason) => {
      const { code, stdout, stderr } = await run(args, { PIAPI_WEBHOOK_SECRET: undefined });
      expect(code).toBe(1);
      expect(stdout).toBe('');
      const lines = stderr.trim().split('\n');
      expect(lines[0]).toContain(reason);
      expect(lines.at(-1)).toContain('--help');
      expect(lines.length).toBeLessThanOrEqual(3);
      expect(stderr).not.toContain('Usage:');
    });
  });

  it('listen on a busy port prints one line and exits 1, with no stack', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      const { code, stdout, stderr } = await run(['listen', '--port', String(port), '--secret', SECRET]);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n')).toEqual([
        `error: cannot listen on 127.0.0.1:${port}: the port is already in use; pick another with --port (EADDRINUSE)`,
      ]);
    } finally {
      busy.close();
    }
  });

  describe('listen, fed by send', () => {
    let listener: ChildProcess;
    let url: string;
    const lines: string[] = [];

    beforeAll(async () => {
      listener = spawn(process.execPath, [CLI, 'listen', '--port', '0', '--secret', SECRET]);
      const reader = createInterface({ input: listener.stdout! });
      url = await new Promise<string>((resolve) => {
        reader.on('line', (line) => {
          lines.push(line);
          const match = /listening on (\S+)/.exec(line);
          if (match) resolve(match[1]!);
        });
      });
    });
    afterAll(async () => {
      listener.kill('SIGINT');
      await new Promise((resolve) => listener.once('exit', resolve));
    });

    async function lineFor(text: string): Promise<string> {
      const find = () => lines.find((candidate) => candidate.includes(text));
      await eventually(() => find() !== undefined, `a line with ${text} in:\n${lines.join('\n')}`);
      return find()!;
    }

    it('prints one line per delivery: accepted, then duplicate, then refused with the reason', async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'piapi-cli-')), 'n.json');
      writeFileSync(
        file,
        JSON.stringify({
          data: {
            task_id: 'listen-1',
            model: 'midjourney',
            task_type: 'imagine',
            status: 'completed',
            output: { progress: 100, image_url: 'https://img.example.com/a.png' },
          },
        }),
      );
      expect((await run(['send', url, '--secret', SECRET, '--file', file])).code).toBe(0);
      expect(await lineFor('accepted')).toMatch(
        /accepted\s+listen-1\s+midjourney\/imagine\s+completed\s+100%\s+https:\/\/img\.example\.com\/a\.png/,
      );

      // A file's task keeps its task_id, so this second send is a duplicate, and says so.
      const second = await run(['send', url, '--secret', SECRET, '--file', file]);
      expect(second.code).toBe(2);
      expect(second.stderr).toContain('duplicate: ');
      expect(await lineFor('duplicate')).toContain('listen-1');

      expect((await run(['send', url, '--secret', 'wrong', '--file', file])).code).toBe(1);
      expect(await lineFor('refused')).toContain('401 invalid_secret');
    });
  });
});
