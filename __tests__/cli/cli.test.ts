/**
 * Runs the real CLI (the built dist/cjs/cli/main.js) as a child process against
 * local servers. `npm test` builds first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { eventually } from '../helpers/wait.js';
import express from 'express';
import { piapiWebhook, type PiapiTask } from '../../lib/index.js';

const CLI = join(__dirname, '..', '..', 'dist', 'cjs', 'cli', 'main.js');
const SECRET = 'cli-secret';

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (npm test does).`);
});

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A receiving app; `failFirst` answers 503 to the first delivery. */
async function receiver({ failFirst = false } = {}): Promise<{ url: string; received: PiapiTask[]; close: () => void }> {
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

describe('piapi-webhook CLI', () => {
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
        const { code } = await run(['send', target.url, '--fixture', 'kling-video-generation-completed', '--status', 'failed'], {
          PIAPI_WEBHOOK_SECRET: SECRET,
        });
        expect(code).toBe(0);
        expect(target.received.map((task) => [task.model, task.status])).toEqual([['kling', 'failed']]);
      } finally {
        target.close();
      }
    });

    it('sends a notification from a file, with a fresh timestamp', async () => {
      const target = await receiver();
      const dir = mkdtempSync(join(tmpdir(), 'piapi-cli-'));
      const file = join(dir, 'task.json');
      writeFileSync(file, JSON.stringify({ timestamp: 1, data: { task_id: 'from-file', model: 'luma', task_type: 'video_generation', status: 'processing' } }));
      try {
        const { code } = await run(['send', target.url, '--secret', SECRET, '--file', file]);
        expect(code).toBe(0);
        expect(target.received.map((task) => task.task_id)).toEqual(['from-file']);
      } finally {
        target.close();
      }
    });

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
        const { code, stdout } = await run(['send', target.url, '--secret', SECRET, '--retry', '--retry-delay', '0.05']);
        expect(code).toBe(0);
        expect(stdout).toMatch(/attempt 1: 503[\s\S]*attempt 2: 200/);
        expect(target.received).toHaveLength(1);
      } finally {
        target.close();
      }
    });

    it('refuses --fixture and --file together, and an unknown fixture', async () => {
      expect((await run(['send', 'http://127.0.0.1:9/x', '--secret', 's', '--fixture', 'luma-video-generation-pending', '--file', 'x.json'])).code).not.toBe(0);
      const unknown = await run(['send', 'http://127.0.0.1:9/x', '--secret', 's', '--fixture', 'nope']);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toContain('No such fixture');
    });
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
      writeFileSync(file, JSON.stringify({ data: { task_id: 'listen-1', model: 'midjourney', task_type: 'imagine', status: 'completed', output: { progress: 100, image_url: 'https://img.example.com/a.png' } } }));
      expect((await run(['send', url, '--secret', SECRET, '--file', file])).code).toBe(0);
      expect(await lineFor('accepted')).toMatch(/accepted\s+listen-1\s+midjourney\/imagine\s+completed\s+100%\s+https:\/\/img\.example\.com\/a\.png/);

      expect((await run(['send', url, '--secret', SECRET, '--file', file])).code).toBe(0);
      expect(await lineFor('duplicate')).toContain('listen-1');

      expect((await run(['send', url, '--secret', 'wrong', '--file', file])).code).toBe(1);
      expect(await lineFor('refused')).toContain('401 invalid_secret');
    });
  });
});
