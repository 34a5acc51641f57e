import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PiapiNotification, PiapiTask } from '../core/types.js';
import { fixture, sendNotification, type FixtureName } from '../testing/index.js';

/** Where the CLI writes; tests pass their own. */
export interface CliOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** The options of `piapi-webhook send`. */
export interface SendCommandOptions {
  secret: string;
  fixture?: FixtureName;
  file?: string;
  status?: string;
  taskId?: string;
  keepId: boolean;
  retry: boolean;
  retries: number;
  retryDelay: number;
  timeout: number;
}

/** What `send` exits with: accepted, refused (or unreachable), or answered as a duplicate. */
export const SEND_EXIT = { accepted: 0, refused: 1, duplicate: 2 } as const;

/** The header a piapi-webhook receiver answers genuine deliveries with. */
const OUTCOME_HEADER = 'x-piapi-webhook-outcome';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a file holding a whole notification (`{ timestamp, data }`) or just a
 * task. Its task is sent as it is, every field unchanged: only the timestamp is
 * new, or the receiver would refuse it as stale.
 */
async function readTaskFile(path: string): Promise<PiapiTask> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const task = isObject(parsed) && isObject(parsed['data']) ? parsed['data'] : parsed;
  if (!isObject(task))
    throw new Error(`${path} holds neither a task nor a notification { timestamp, data }: its JSON is not an object.`);
  return task as unknown as PiapiTask;
}

/** The notification to send, from a fixture, a file, or the default Midjourney fixture. */
async function buildNotification(options: SendCommandOptions): Promise<PiapiNotification> {
  const timestamp = Math.floor(Date.now() / 1000);
  const data =
    options.file !== undefined
      ? await readTaskFile(options.file)
      : (fixture(options.fixture ?? 'midjourney-imagine-completed').data as PiapiTask);
  // A shipped fixture's task_id is the same for everybody, so a second send would
  // be dropped as a duplicate: give it a fresh one unless told otherwise. A file's
  // task is the user's own, and keeps its id.
  if (options.taskId !== undefined) data.task_id = options.taskId;
  else if (options.file === undefined && !options.keepId) data.task_id = randomUUID();
  if (options.status !== undefined) data.status = options.status;
  return { timestamp, data };
}

type Attempt = { kind: 'accepted' | 'duplicate' | 'refused'; shown: string };

/** One POST; a network error counts as a refusal, as it does for PiAPI. */
async function attemptDelivery(
  url: string,
  notification: PiapiNotification,
  secret: string,
  timeoutMs: number,
): Promise<Attempt> {
  try {
    const { status, body, headers } = await sendNotification(url, notification, { secret, timeoutMs });
    // Present when the receiver is piapi-webhook: a 200 alone does not say whether onTask ran.
    const outcome = headers.get(OUTCOME_HEADER);
    const shown = `${status} ${JSON.stringify(body)}${outcome === null ? '' : ` (${OUTCOME_HEADER}: ${outcome})`}`;
    if (status < 200 || status >= 300) return { kind: 'refused', shown };
    return { kind: outcome === 'duplicate' ? 'duplicate' : 'accepted', shown };
  } catch (error) {
    // PiAPI gives up on a slow endpoint too, and counts it as a failed attempt.
    if ((error as Error).name === 'TimeoutError') return { kind: 'refused', shown: `no answer within ${timeoutMs} ms` };
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    return { kind: 'refused', shown: `failed: ${(error as Error).message}${cause === undefined ? '' : ` (${cause})`}` };
  }
}

/**
 * `piapi-webhook send <url>`: posts one notification as PiAPI does, retrying
 * like PiAPI with `--retry`.
 * @returns the exit code, one of {@link SEND_EXIT}
 */
export async function sendCommand(url: string, options: SendCommandOptions, output: CliOutput): Promise<number> {
  const notification = await buildNotification(options);
  const { task_id, model, task_type, status } = notification.data;
  output.out(
    `sending ${model}/${task_type} ${status} (task ${task_id}, timestamp ${notification.timestamp}) to ${url}`,
  );

  const attempts = options.retry ? options.retries + 1 : 1;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    // A retry carries the same body, timestamp included, as PiAPI's does.
    const { kind, shown } = await attemptDelivery(url, notification, options.secret, options.timeout);
    output.out(`attempt ${attempt}: ${shown}`);
    if (kind === 'duplicate') {
      output.err(
        `duplicate: ${url} had already received task ${task_id} (${status}), so its handler did not run again. ` +
          'Drop --keep-id or --task-id to send a fresh task_id, or edit the task_id in the file.',
      );
      return SEND_EXIT.duplicate;
    }
    if (kind === 'accepted') return SEND_EXIT.accepted;
    if (attempt < attempts) await sleep(options.retryDelay * 1000);
  }
  output.err(`refused: ${url} did not accept the notification`);
  return SEND_EXIT.refused;
}
