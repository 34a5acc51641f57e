/**
 * A small client for PiAPI's get-task API (`GET /api/v1/task/{task_id}`), the
 * only way to learn how a task ended when its webhooks were missed. It runs on
 * any runtime with a Web `fetch` (Node ≥ 20, Cloudflare Workers, Deno, Bun), so
 * it imports no `node:*` module and uses no `Buffer`.
 */
import { describe, positiveNumber } from '../core/option-checks.js';
import { checkApiKey, checkBaseUrl, DEFAULT_BASE_URL } from './option-checks.js';
import { readCappedText } from './read-capped.js';

/** What one get-task lookup found out. */
export type TaskLookup =
  | {
      /** PiAPI answered `{ code: 200, data }`. */
      readonly kind: 'found';
      /** The envelope's `data`, not validated here: the pipeline validates it as it validates a webhook's. */
      readonly task: unknown;
    }
  | {
      /**
       * PiAPI does not know the task: HTTP 404, or an envelope whose code is 404 or
       * whose message says "not found". Asking again will not help: a reported give-up.
       */
      readonly kind: 'not_found';
    }
  | {
      /**
       * No answer to use now (429, 5xx, a timeout, a network error, another 4xx or
       * envelope code), after this client's own retries. Ask again later.
       */
      readonly kind: 'unavailable';
      /** PiAPI's own `Retry-After` on the last answer, in milliseconds, when it sent one. */
      readonly retryAfterMs?: number;
      /** What went wrong. Its message never contains the API key. */
      readonly error: PiapiTaskLookupError;
    };

/** Options for {@link createPiapiClient}. */
export interface PiapiClientOptions {
  /** The PiAPI API key, sent as `x-api-key`. Never logged, never in an error. */
  apiKey: string;
  /**
   * Where PiAPI is. Tests point it at a local fake.
   * @defaultValue 'https://api.piapi.ai'
   */
  baseUrl?: string;
  /**
   * Allows a plain-`http:` `baseUrl` on a host that is not loopback. Every
   * request carries the API key, so this is for a trusted network only (a
   * proxy on a private network); loopback hosts never need it.
   * @defaultValue false
   */
  allowInsecureBaseUrl?: boolean;
  /**
   * The longest one request may take, body included, in milliseconds.
   * @defaultValue 10 000
   */
  timeoutMs?: number;
  /**
   * At most this many requests in flight at once; further lookups wait their turn.
   * @defaultValue 4
   */
  concurrency?: number;
  /**
   * Requests per lookup, the first included, before it reports `unavailable`.
   * @defaultValue 3
   */
  maxAttempts?: number;
  /**
   * The first back-off, in milliseconds; it doubles per retry, with full jitter.
   * @defaultValue 500
   */
  baseDelayMs?: number;
  /**
   * The longest back-off between two attempts, in milliseconds. A longer
   * `Retry-After` is cut to this; the lookup then reports it in `retryAfterMs`.
   * @defaultValue 30 000
   */
  maxDelayMs?: number;
  /**
   * The largest get-task answer read, in bytes. A task is a few KB; a longer
   * answer is cancelled as soon as it passes this, and the lookup reports
   * `unavailable` without retrying.
   * @defaultValue 4 194 304 (4 MB)
   */
  maxResponseBytes?: number;
  /**
   * The `fetch` to use.
   * @defaultValue the platform's `fetch`
   */
  fetch?: typeof fetch;
  /**
   * How to wait between attempts; tests inject one that does not.
   * @defaultValue a `setTimeout` promise
   */
  sleep?: (ms: number) => Promise<void>;
  /**
   * A number in [0, 1) for the jitter; tests inject a fixed one.
   * @defaultValue Math.random
   */
  random?: () => number;
  /**
   * The clock, in milliseconds, to read a `Retry-After` given as an HTTP date.
   * @defaultValue Date.now
   */
  now?: () => number;
}

/** A client for PiAPI's get-task API: see {@link createPiapiClient}. */
export interface PiapiClient {
  /**
   * Looks a task up. Never rejects: every failure is a {@link TaskLookup}.
   * @param taskId - the task's `task_id`
   */
  getTask(taskId: string): Promise<TaskLookup>;
}

/** Why a lookup found nothing usable. Safe to log: it never carries the API key. */
export class PiapiTaskLookupError extends Error {
  override readonly name = 'PiapiTaskLookupError';

  /**
   * @param message - what happened, without the API key
   * @param taskId - the task looked up
   * @param status - the HTTP status, when PiAPI answered
   * @param code - the envelope's `code`, when PiAPI answered one
   */
  constructor(
    message: string,
    readonly taskId: string,
    readonly status?: number,
    readonly code?: unknown,
  ) {
    super(message);
  }
}

const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** One attempt's result: a final lookup, or a retryable failure with PiAPI's advice. */
type Attempt =
  { readonly final: TaskLookup } | { readonly retry: PiapiTaskLookupError; readonly retryAfterMs?: number };

/** A counting semaphore: a caller beyond the limit waits for a slot, first come first served. */
function createLimiter(limit: number): <T>(run: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (run) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else active += 1;
    try {
      return await run();
    } finally {
      // Hand the slot straight to the next in line, so no newcomer can overtake it.
      const next = waiting.shift();
      if (next === undefined) active -= 1;
      else next();
    }
  };
}

/** `Retry-After` in milliseconds: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // Only an HTTP date has letters; Date.parse would read '-3' as a year.
  const date = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

function notFoundMessage(message: unknown): boolean {
  return typeof message === 'string' && /not[\s_-]*(be\s+)?found|does not exist|no such task/i.test(message);
}

/** What an answered request means. */
function interpret(
  taskId: string,
  status: number,
  text: string,
  retryAfterMs: number | undefined,
  redact: (text: string) => string,
): Attempt {
  if (status === 404) return { final: { kind: 'not_found' } };
  const failure = (why: string, code?: unknown): PiapiTaskLookupError =>
    new PiapiTaskLookupError(`PiAPI get-task for ${taskId}: ${redact(why)}`, taskId, status, code);
  // Rate limits and server trouble pass; PiAPI's advice on when to come back is kept.
  if (status === 429 || status >= 500) {
    const retry = failure(`HTTP ${status}`);
    return retryAfterMs === undefined ? { retry } : { retry, retryAfterMs };
  }
  if (status < 200 || status >= 300) return { final: { kind: 'unavailable', error: failure(`HTTP ${status}`) } };
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    return { retry: failure('the answer is not JSON') };
  }
  if (typeof envelope !== 'object' || envelope === null) return { retry: failure('the answer is not a JSON object') };
  const { code, data, message } = envelope as { code?: unknown; data?: unknown; message?: unknown };
  if (code === 200 && typeof data === 'object' && data !== null) return { final: { kind: 'found', task: data } };
  // PiAPI's answer for an unknown id is not documented: an envelope 404 or a "not found" message counts.
  if (code === 404 || (code !== 200 && notFoundMessage(message))) return { final: { kind: 'not_found' } };
  const why = `envelope code ${describe(code)}${typeof message === 'string' ? ` (${message.slice(0, 200)})` : ''}`;
  if (code === 429 || (typeof code === 'number' && code >= 500)) return { retry: failure(why, code) };
  return {
    final: {
      kind: 'unavailable',
      error: failure(code === 200 ? 'envelope code 200 without a task in data' : why, code),
    },
  };
}

/**
 * A get-task client with a timeout per request, bounded retries with full-jitter
 * exponential back-off that honours `Retry-After` (for 429, 5xx, timeouts and
 * network errors), and a limit on requests in flight.
 *
 * @param options - see {@link PiapiClientOptions}
 * @throws PiapiWebhookConfigError when an option is wrong (the API key is never echoed)
 *
 * @example
 * ```ts
 * const piapi = createPiapiClient({ apiKey: process.env.PIAPI_API_KEY! });
 * const lookup = await piapi.getTask(taskId);
 * if (lookup.kind === 'found') console.log(lookup.task);
 * ```
 */
export function createPiapiClient(options: PiapiClientOptions): PiapiClient {
  const apiKey = checkApiKey(options.apiKey);
  const baseUrl = checkBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL, options.allowInsecureBaseUrl ?? false);
  const timeoutMs = positiveNumber('recovery.timeoutMs', options.timeoutMs ?? 10_000);
  const limit = createLimiter(positiveNumber('recovery.concurrency', options.concurrency ?? 4, true));
  const maxAttempts = positiveNumber('recovery.maxAttempts', options.maxAttempts ?? 3, true);
  const baseDelayMs = positiveNumber('recovery.baseDelayMs', options.baseDelayMs ?? 500);
  const maxDelayMs = positiveNumber('recovery.maxDelayMs', options.maxDelayMs ?? 30_000);
  const maxResponseBytes = positiveNumber(
    'recovery.maxResponseBytes',
    options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    true,
  );
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  // A foreign error (a custom fetch, a proxy's page) could quote the key: strip it from anything we repeat.
  const redact = (text: string): string => text.split(apiKey).join('[redacted]');

  async function attempt(taskId: string): Promise<Attempt> {
    const url = `${baseUrl}/api/v1/task/${encodeURIComponent(taskId)}`;
    const controller = new AbortController();
    // A timer rather than AbortSignal.timeout(): it covers the body too, and fake timers can drive it.
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      // Never follow a redirect: undici would carry x-api-key to whatever origin the Location names.
      const response = await fetchImpl(url, {
        method: 'GET',
        headers: { 'x-api-key': apiKey, accept: 'application/json' },
        redirect: 'manual',
        signal: controller.signal,
      });
      // A browser-like fetch (workerd, Deno) reports a manual redirect as an opaque response with status 0.
      if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
        await response.body?.cancel();
        const why = `redirected (HTTP ${response.status}), not followed: the API key is only sent to ${baseUrl}`;
        return {
          final: {
            kind: 'unavailable',
            error: new PiapiTaskLookupError(`PiAPI get-task for ${taskId}: ${why}`, taskId, response.status),
          },
        };
      }
      const text = await readCappedText(response, maxResponseBytes);
      if (text === undefined) {
        // Final, not retried: the same answer would be read again.
        const why = `the answer is larger than ${maxResponseBytes} bytes; the rest was not read`;
        return {
          final: {
            kind: 'unavailable',
            error: new PiapiTaskLookupError(`PiAPI get-task for ${taskId}: ${why}`, taskId, response.status),
          },
        };
      }
      return interpret(
        taskId,
        response.status,
        text,
        parseRetryAfter(response.headers.get('retry-after'), now()),
        redact,
      );
    } catch (cause) {
      const why = controller.signal.aborted
        ? `no answer within ${timeoutMs} ms`
        : `request failed (${redact(errorText(cause))})`;
      return { retry: new PiapiTaskLookupError(`PiAPI get-task for ${taskId}: ${why}`, taskId) };
    } finally {
      clearTimeout(timer);
    }
  }

  async function getTask(taskId: string): Promise<TaskLookup> {
    if (typeof taskId !== 'string' || taskId === '') {
      return {
        kind: 'unavailable',
        error: new PiapiTaskLookupError(
          `PiAPI get-task: the task id must be a non-empty string, received ${describe(taskId)}`,
          String(taskId),
        ),
      };
    }
    for (let number = 1; ; number += 1) {
      const result = await limit(() => attempt(taskId));
      if ('final' in result) return result.final;
      if (number >= maxAttempts) {
        const { retry: error, retryAfterMs } = result;
        return retryAfterMs === undefined
          ? { kind: 'unavailable', error }
          : { kind: 'unavailable', error, retryAfterMs };
      }
      // Full jitter spreads many instances' retries apart; PiAPI's own advice is a floor.
      const backoff = random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (number - 1));
      await sleep(Math.min(maxDelayMs, Math.max(backoff, result.retryAfterMs ?? 0)));
    }
  }

  return { getTask };
}

/** A short description of a thrown value, with its cause's code (ECONNREFUSED, …) when it has one. */
function errorText(error: unknown): string {
  // Duck-typed: an error thrown by another realm's fetch is not an `instanceof Error` here.
  const { message, cause } = (error ?? {}) as { message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (typeof message !== 'string') return describe(error);
  const detail =
    typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  return detail === undefined ? message : `${message}: ${detail}`;
}
