import type { ClaimResult, DedupeStore, WatchedTask } from '../core/dedupe.js';
import { DEFAULTS } from '../core/defaults.js';
import { PiapiWebhookConfigError } from '../core/errors.js';
import { describe } from '../core/option-checks.js';
import type { RedisKeys } from './redis-keys.js';
import * as scripts from './redis-scripts.js';

/**
 * The three commands the Redis-backed stores are made of, as each client sends
 * them. Each call is one round trip: one TCP command, or one HTTP request.
 */
export interface ScriptCommands {
  /**
   * `SET key value NX PX ttlMs`: true when the key was set. Optional: without it,
   * every claim is the script, one round trip whether the key is new or not (a
   * duplicate after a failed `SET NX` would cost a second one).
   */
  setNx?(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** `EVALSHA sha numkeys ...keys ...args`. */
  evalSha(sha: string, keys: string[], args: string[]): Promise<unknown>;
  /** `EVAL script numkeys ...keys ...args`. */
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
}

/** Options shared by `redisStore` and `upstashStore`. */
export interface ScriptStoreOptions {
  /**
   * Put before every key, to keep this store's keys apart from others in the same database.
   * @defaultValue 'piapi-webhook:'
   */
  prefix?: string;
  /**
   * The clock that leases are judged by, in milliseconds. Every instance sharing
   * the database must have a clock that agrees with the others' within a small
   * part of the lease (see docs/stores.md).
   * @defaultValue Date.now
   */
  now?: () => number;
}

const CLAIM_STATES: Readonly<Record<number, ClaimResult['state']>> = { 0: 'done', 1: 'in_progress', 2: 'claimed' };

/**
 * Whether Redis has not seen the script (a restart or `SCRIPT FLUSH` forgets them).
 * Case-insensitive and anywhere in the message: `@upstash/redis` wraps a failed
 * command of a pipeline as `Command failed: NOSCRIPT …`.
 */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.toLowerCase().includes('noscript');
}

/** Checks the options both stores share; `store` names them in errors. */
export function parseScriptStoreOptions(
  store: string,
  options: ScriptStoreOptions,
): { prefix: string; now: () => number } {
  const { prefix = DEFAULTS.redisStore.prefix, now = Date.now } = options;
  if (typeof prefix !== 'string') {
    throw new PiapiWebhookConfigError(`${store}.prefix`, `must be a string, received ${describe(prefix)}.`);
  }
  if (typeof now !== 'function') {
    throw new PiapiWebhookConfigError(`${store}.now`, `must be a function, received ${describe(now)}.`);
  }
  return { prefix, now };
}

/**
 * A {@link DedupeStore} over Redis's Lua scripts (`redis-scripts.ts`), for any
 * client that can send {@link ScriptCommands}. Each step is one atomic script,
 * one round trip; the first claim of a new key without a watch is one native
 * `SET NX` when the client offers it.
 */
export function scriptStore(commands: ScriptCommands, layout: RedisKeys, now: () => number): DedupeStore {
  /** EVALSHA, falling back to EVAL once when Redis has not seen the script. */
  async function run(script: scripts.Script, keys: string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    const strings = args.map(String);
    try {
      return await commands.evalSha(script.sha, keys, strings);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return commands.eval(script.source, keys, strings);
    }
  }

  const deliveryKey = (key: string): string => layout.delivery(key);
  const { due, info } = layout;

  return {
    async claim(key, owner, leaseMs, watch, ttlSeconds) {
      const lease = Math.ceil(leaseMs);
      const at = Math.floor(now());
      const leaseUntil = at + lease;
      // Kept for the dedupe TTL, so that an expired lease still counts its attempts. A caller that
      // does not pass the TTL (a store called directly, by older code) keeps it for the lease only.
      const keyTtlMs = ttlSeconds === undefined ? lease : Math.max(lease, Math.ceil(ttlSeconds * 1000));
      // A new key, the usual case, needs no script: SET NX writes exactly what CLAIM would (attempt 1).
      if (
        watch === undefined &&
        commands.setNx !== undefined &&
        (await commands.setNx(deliveryKey(key), `L1:${leaseUntil}:${owner}`, keyTtlMs))
      ) {
        return { state: 'claimed', attempt: 1 };
      }
      const watchArgs =
        watch === undefined ? ['', 0, 0] : [watch.taskId, Math.floor(watch.dueAt), Math.floor(watch.now)];
      const args = [owner, leaseUntil, keyTtlMs, at, ...watchArgs];
      const [state, attempt] = (await run(scripts.CLAIM, [deliveryKey(key), due, info], args)) as [number, number];
      const name = CLAIM_STATES[Number(state)] ?? 'in_progress';
      return name === 'claimed' ? { state: name, attempt: Number(attempt) } : { state: name };
    },
    async renew(key, owner, leaseMs, attempt = 1) {
      const lease = Math.ceil(leaseMs);
      const args = [owner, Math.floor(now()) + lease, lease, attempt];
      return Number(await run(scripts.RENEW, [deliveryKey(key)], args)) === 1;
    },
    async complete(key, owner, ttlSeconds, unwatchTaskId) {
      const args = [owner, Math.ceil(ttlSeconds), unwatchTaskId ?? '', Math.floor(now())];
      return Number(await run(scripts.COMPLETE, [deliveryKey(key), due, info], args)) === 1;
    },
    async release(key, owner, ttlSeconds) {
      return Number(await run(scripts.RELEASE, [deliveryKey(key)], [owner, Math.ceil(ttlSeconds)])) === 1;
    },
    async watch(taskId, dueAt, watchedAt) {
      await run(scripts.WATCH, [due, info], [taskId, Math.floor(dueAt), Math.floor(watchedAt)]);
    },
    async unwatch(taskId) {
      await run(scripts.UNWATCH, [due, info], [taskId]);
    },
    async takeDueWatches(at, limit, leaseUntil) {
      const args = [Math.floor(at), limit, Math.floor(leaseUntil)];
      const taken = (await run(scripts.TAKE_DUE, [due, info], args)) as unknown[];
      return taken.map((entry): WatchedTask => {
        // '<watchedAt>:<checks>:<taskId>': the task id is everything after the second colon.
        const [watchedAt = '0', checks = '0'] = String(entry).split(':', 2);
        const taskId = String(entry).slice(watchedAt.length + checks.length + 2);
        return { taskId, watchedAt: Number(watchedAt), checks: Number(checks) };
      });
    },
    async rescheduleWatch(taskId, dueAt, checks) {
      await run(scripts.RESCHEDULE, [due, info], [taskId, Math.floor(dueAt), checks]);
    },
  };
}
