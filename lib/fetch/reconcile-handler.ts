import { PiapiWebhookConfigError, PiapiWebhookRejection } from '../core/errors.js';
import { createSecretCheck } from '../core/http-checks.js';
import { describe, positiveNumber } from '../core/option-checks.js';
import { parseSecrets } from '../core/option-parsers.js';
import type { ReconcileOptions } from '../recovery/reconcile-options.js';
import { webPlatform } from '../web/platform.js';
import { HOOK_INTERNALS, type HookInternals, type WebhookControls } from '../webhook.js';

/** Options for {@link reconcileHandler}. */
export interface ReconcileHandlerOptions {
  /**
   * The secret your scheduler sends as `Authorization: Bearer <secret>`, compared
   * in constant time (Vercel Cron sends `CRON_SECRET` so). Pass several to rotate:
   * any of them is accepted. Not your PiAPI webhook secret: give the cron its own.
   */
  secret: string | readonly string[];
  /**
   * The time one run has, in milliseconds from the request: see
   * {@link ReconcileOptions.deadlineMs}. Keep it under the platform's limit
   * (Netlify cuts scheduled functions at 30 s, Vercel at `maxDuration`) minus
   * the time your `onTask` needs for a recovered task.
   * @defaultValue 25000
   */
  deadlineMs?: number;
  /**
   * The most due tasks one run checks: see {@link ReconcileOptions.limit}.
   * @defaultValue no limit
   */
  limit?: number;
}

/** What {@link reconcileHandler} drives: anything piapi-webhook's entries return (its `reconcile` is used). */
export type ReconcilingHook = Pick<WebhookControls, 'reconcile'>;

const DEFAULT_DEADLINE_MS = 25_000;
const OPTION_NAMES: ReadonlySet<string> = new Set<keyof ReconcileHandlerOptions>(['secret', 'deadlineMs', 'limit']);
const ALLOWED_METHODS = 'GET, POST';

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  // no-store: a report is about this run, and a 401 must not be cached by a CDN in front.
  const all = { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers };
  return new Response(JSON.stringify(body), { status, headers: all });
}

function refusal(reason: 'missing_secret' | 'invalid_secret'): Response {
  const message =
    reason === 'missing_secret'
      ? 'The authorization header is missing or is not "Bearer <secret>".'
      : 'The bearer secret does not match.';
  return json(401, { error: reason, message }, { 'www-authenticate': 'Bearer' });
}

/** The options, validated: every mistake throws here, before a request comes. */
function parseHandlerOptions(hook: unknown, options: unknown) {
  if (typeof (hook as ReconcilingHook | null)?.reconcile !== 'function') {
    throw new PiapiWebhookConfigError(
      'reconcileHandler.hook',
      `must be what piapiWebhookHandler() (or piapiWebhook()) returned, with the recovery option; received ${describe(hook)}.`,
    );
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new PiapiWebhookConfigError(
      'reconcileHandler',
      `options must be an object with at least { secret }, received ${describe(options)}.`,
    );
  }
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!OPTION_NAMES.has(key)) {
      throw new PiapiWebhookConfigError(
        `reconcileHandler.${key}`,
        `is not an option. Known options: ${[...OPTION_NAMES].join(', ')}.`,
      );
    }
  }
  if (given['secret'] === undefined) {
    throw new PiapiWebhookConfigError(
      'reconcileHandler.secret',
      'is required: pass the secret your scheduler sends as "Authorization: Bearer <secret>" (for example process.env.CRON_SECRET).',
    );
  }
  const secrets = parseSecrets(given['secret'], 'reconcileHandler.secret');
  const deadlineMs =
    given['deadlineMs'] === undefined
      ? DEFAULT_DEADLINE_MS
      : positiveNumber('reconcileHandler.deadlineMs', given['deadlineMs']);
  const limit =
    given['limit'] === undefined ? undefined : positiveNumber('reconcileHandler.limit', given['limit'], true);
  const internals = (hook as { [HOOK_INTERNALS]?: HookInternals })[HOOK_INTERNALS];
  const requestTimeoutMs = internals?.requestTimeoutMs;
  if (internals !== undefined && requestTimeoutMs === undefined) {
    throw new PiapiWebhookConfigError(
      'reconcileHandler.hook',
      'has no recovery option: create it with piapiWebhookHandler({ ..., recovery: { apiKey, intervalSeconds: 0 } }).',
    );
  }
  if (requestTimeoutMs !== undefined && deadlineMs < requestTimeoutMs) {
    throw new PiapiWebhookConfigError(
      'reconcileHandler.deadlineMs',
      `is ${deadlineMs} ms, shorter than one get-task request may take (recovery.requestTimeoutMs: ${requestTimeoutMs} ms). Raise deadlineMs or lower recovery.requestTimeoutMs.`,
    );
  }
  const reconcileOptions: ReconcileOptions = limit === undefined ? { deadlineMs } : { deadlineMs, limit };
  return { hook: hook as ReconcilingHook, secrets, reconcileOptions, internals };
}

/**
 * Creates the route a scheduler calls to run recovery where no process lives
 * long enough for a timer (Vercel Cron, Netlify scheduled functions, Supabase
 * pg_cron + pg_net): `(request) => Promise<Response>`. It answers
 *
 * - 405 (with `allow`) to anything but GET and POST (Vercel Cron sends GET);
 * - 401 `{ error: 'missing_secret' | 'invalid_secret' }` unless
 *   `authorization: Bearer <secret>` matches one of `secret`, in constant time;
 * - 200 with the {@link ReconcileReport} as JSON (counts and task ids) once
 *   `hook.reconcile(undefined, { deadlineMs, limit })` has run;
 * - 500 `{ error: 'reconcile_failed' }` if it failed; the error goes to the hook's `onError`.
 *
 * @param hook - what `piapiWebhookHandler()` returned, created with `recovery` (`intervalSeconds: 0`)
 * @param options - see {@link ReconcileHandlerOptions}; validated here, before it returns
 * @throws PiapiWebhookConfigError when an option is missing or wrong
 *
 * @example
 * ```ts
 * // app/api/piapi/reconcile/route.ts (Next.js on Vercel, with vercel.json's crons)
 * export const GET = reconcileHandler(handle, { secret: process.env.CRON_SECRET! });
 * ```
 */
export function reconcileHandler(
  hook: ReconcilingHook,
  options: ReconcileHandlerOptions,
): (request: Request) => Promise<Response> {
  const parsed = parseHandlerOptions(hook, options);
  const checkSecret = createSecretCheck(parsed.secrets, webPlatform);

  return async function reconcileRequest(request) {
    if (request.method !== 'GET' && request.method !== 'POST') {
      return json(
        405,
        { error: 'method_not_allowed', message: 'Call this route with GET or POST.' },
        { allow: ALLOWED_METHODS },
      );
    }
    const bearer = /^Bearer +(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
    try {
      checkSecret(bearer);
    } catch (error) {
      if (error instanceof PiapiWebhookRejection && error.reason === 'invalid_secret') return refusal('invalid_secret');
      return refusal('missing_secret');
    }
    try {
      const report = await parsed.hook.reconcile(undefined, parsed.reconcileOptions);
      return json(200, report);
    } catch (error) {
      if (parsed.internals === undefined) console.error('[piapi-webhook] reconcile failed', error);
      else parsed.internals.reportError(error);
      return json(500, {
        error: 'reconcile_failed',
        message: 'reconcile() failed; the error went to onError. Due tasks stay due for the next run.',
      });
    }
  };
}
