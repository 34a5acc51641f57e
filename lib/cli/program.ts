import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command, InvalidArgumentError, Option } from 'commander';
import { piapiWebhook } from '../express/middleware.js';
import type { WebhookOutcome } from '../core/options.js';
import { resultUrls } from '../core/task-helpers.js';
import type { PiapiTask } from '../core/types.js';
import { fixture, fixtureNames, type FixtureName } from '../testing/index.js';
import { SEND_EXIT, sendCommand, type CliOutput, type SendCommandOptions } from './send.js';
import packageVersion from './version.cjs';

const defaultOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new InvalidArgumentError('Expected a number of 0 or more.');
  return number;
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) throw new InvalidArgumentError('Expected a whole number above 0.');
  return number;
}

function port(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65535)
    throw new InvalidArgumentError('Expected a port from 0 to 65535.');
  return number;
}

function fixtureName(value: string): FixtureName {
  if (!(fixtureNames as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`No such fixture. Run "piapi-webhook fixtures" to list them.`);
  }
  return value as FixtureName;
}

/** The progress a task reports, for the models that report one. */
function progressOf(task: PiapiTask): string {
  const output = task.output ?? {};
  const progress = output['progress'] ?? output['percent'];
  return typeof progress === 'number' ? `${progress}%` : '-';
}

/** One readable line per delivery the listener answered. */
function describeOutcome(outcome: WebhookOutcome, at: Date = new Date()): string {
  const time = at.toISOString().slice(11, 19);
  if (outcome.type === 'store_error') return `${time}  store error (${outcome.operation}): ${outcome.error.message}`;
  if (outcome.type === 'recovery_failed')
    return `${time}  recovery failed  ${outcome.taskId}: ${String(outcome.error)}`;
  if (outcome.type === 'watch_dropped') return `${time}  watch dropped  ${outcome.taskId}: ${outcome.reason}`;
  if (outcome.type === 'recovery_gave_up') return `${time}  recovery gave up  ${outcome.taskId}: ${outcome.reason}`;
  if (outcome.type === 'rejected') {
    const task = outcome.task === undefined ? '' : `  ${outcome.task.task_id}`;
    return `${time}  refused ${outcome.statusCode} ${outcome.reason}${task}: ${outcome.message}`;
  }
  const { task } = outcome;
  const urls = resultUrls(task);
  const columns = [
    time,
    outcome.type.padEnd(9),
    task.task_id,
    `${task.model}/${task.task_type}`,
    task.status,
    progressOf(task),
  ];
  if (urls.length > 0) columns.push(urls.join(' '));
  return columns.join('  ');
}

/**
 * The `piapi-webhook` command line: `send`, `listen` and `fixtures`.
 * @param output - where to write; defaults to the process's stdout and stderr
 */
export function createProgram(output: CliOutput = defaultOutput): Command {
  const program = new Command('piapi-webhook')
    .description('Send and receive PiAPI task notifications while you develop a webhook handler.')
    .version(packageVersion(), '-V, --version', 'print the version of piapi-webhook')
    // The reason and a pointer to --help: the whole help after it scrolls the reason away.
    .showHelpAfterError("(run with --help for this command's usage)")
    .configureOutput({
      writeOut: (text) => output.out(text.trimEnd()),
      writeErr: (text) => output.err(text.trimEnd()),
    });

  program
    .command('send')
    .description('POST a notification to <url> the way PiAPI does, with a fresh timestamp.')
    .argument('<url>', 'the webhook endpoint, e.g. http://localhost:3000/piapi/webhook')
    .addOption(
      new Option('--secret <secret>', 'sent in x-webhook-secret').env('PIAPI_WEBHOOK_SECRET').makeOptionMandatory(),
    )
    .addOption(
      new Option('--fixture <name>', 'send a shipped fixture (see "fixtures")')
        .argParser(fixtureName)
        .conflicts('file'),
    )
    .addOption(
      new Option(
        '--file <path>',
        'send the task in this JSON file (a task, or a notification { timestamp, data }) as it is',
      ),
    )
    .option('--status <status>', 'override data.status')
    .addOption(new Option('--task-id <id>', 'send with this task_id').conflicts('keepId'))
    .option('--keep-id', "keep the fixture's own task_id (a second send is then a duplicate)", false)
    .option('--retry', 'after a non-2xx answer or a network error, retry like PiAPI does', false)
    .option('--retries <count>', 'how many retries with --retry', positiveNumber, 3)
    .option('--retry-delay <seconds>', 'the wait between retries', positiveNumber, 5)
    .option(
      '--timeout <ms>',
      'give up on an attempt after this many milliseconds; it counts as refused (and --retry retries it)',
      positiveInteger,
      10_000,
    )
    .addHelpText(
      'after',
      [
        '',
        'With neither --fixture nor --file, it sends a completed Midjourney task.',
        "A fixture (and that default) is sent with a fresh task_id, so that it is never a duplicate, unless --keep-id or --task-id says otherwise. A file's task is sent unchanged, task_id included; only the timestamp is new.",
        '',
        `Exit codes: ${SEND_EXIT.accepted} accepted; ${SEND_EXIT.refused} refused or unreachable; ${SEND_EXIT.duplicate} answered 200 but reported as a duplicate (x-piapi-webhook-outcome: duplicate), so the handler did not run.`,
      ].join('\n'),
    )
    .action(async (url: string, options: SendCommandOptions) => {
      process.exitCode = await sendCommand(url, options, output);
    });

  program
    .command('listen')
    .description("Receive notifications locally with this package's middleware, and print one line per delivery.")
    .addOption(
      new Option('--secret <secret>', 'the secret to accept').env('PIAPI_WEBHOOK_SECRET').makeOptionMandatory(),
    )
    .option('--port <port>', 'the port to listen on (0: any free one)', port, 3000)
    .option('--host <host>', 'the interface to listen on', '127.0.0.1')
    .option('--path <path>', 'the webhook path', '/piapi/webhook')
    .addHelpText(
      'after',
      '\nLines read: time, outcome, task, model/task_type, status, progress, result URLs.\nPut it behind a tunnel to see real deliveries from PiAPI.',
    )
    .action(async (options: { secret: string; port: number; host: string; path: string }) => {
      const hook = piapiWebhook({
        secret: options.secret,
        onTask: () => undefined,
        onOutcome: (outcome) => output.out(describeOutcome(outcome)),
      });
      const server = createServer((req, res) => {
        if ((req.url ?? '').split('?')[0] === options.path) return hook(req, res);
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'not_found', message: `POST to ${options.path}` }));
      });
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(options.port, options.host, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        // A busy port is a usage problem, not a crash: one line, exit 1.
        const { code, message } = error as NodeJS.ErrnoException;
        const why = code === 'EADDRINUSE' ? 'the port is already in use; pick another with --port' : message;
        output.err(
          `error: cannot listen on ${options.host}:${options.port}: ${why}${code === undefined ? '' : ` (${code})`}`,
        );
        process.exitCode = 1;
        await hook.drain(0);
        return;
      }
      const { port: actualPort } = server.address() as AddressInfo;
      output.out(`listening on http://${options.host}:${actualPort}${options.path} (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          server.close();
          void hook.drain(5000).then(() => resolve());
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  program
    .command('fixtures')
    .description('List the shipped fixtures, for send --fixture.')
    .action(() => {
      for (const name of fixtureNames) {
        const { model, task_type, status } = fixture(name).data;
        output.out(`${name.padEnd(40)} ${model}/${task_type} ${status}`);
      }
    });

  return program;
}
