/**
 * Server processes of the real-runtime suites: started, waited for until they
 * say (or show) that they listen, and stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
export { freePort } from '../helpers/ports.js';
import { createInterface } from 'node:readline';

/** Long enough for a cold start on a busy 2-core machine; it only matters when something hangs. */
export const DEADLINE_MS = 180_000;

/** The secret every consumer app is configured with (apps/options.mjs). */
export const SECRET = 'runtime-secret';

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
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const stop = stopper(child);
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`${command} ${args.join(' ')}: ${why}\n${output.join('\n')}`)));
    };
    const timer = setTimeout(() => fail('no line saying it listens before the deadline'), DEADLINE_MS);
    createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
    createInterface({ input: child.stdout }).on('line', (line) => {
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
export async function startSilentServer(
  command: string,
  args: string[],
  cwd: string,
  url: string,
): Promise<RunningServer> {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => output.push(line));
  createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
  const stop = stopper(child);
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${command} exited (${child.exitCode}) before answering\n${output.join('\n')}`);
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
