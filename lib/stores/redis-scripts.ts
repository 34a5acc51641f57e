/**
 * The Lua scripts behind `redisStore` and `upstashStore`: each step of a
 * delivery is one atomic script, so one round trip, whichever instance runs it.
 *
 * A delivery key holds `L<attempts>:<leaseUntil>:<owner>` while leased,
 * `D` once done, and `F<attempts>` once released after a failure. Every state
 * is kept for (at least) the dedupe TTL: an expired lease is a state of the key,
 * not its absence, so a takeover after a crash counts as attempt n + 1. (Keys
 * written as `L<attempts>:<owner>` by 0.1, with the lease as their PX, are
 * honoured as live leases until Redis expires them.) Watched tasks live in a
 * sorted set (task id → next check, ms) and a hash (task id →
 * `<watchedAt>:<checks>`). The first claim of a new key, when no task is to be
 * watched, is a plain `SET NX PX` of the same value.
 *
 * The clock: `now` and `leaseUntil` come from the calling store's clock (ms),
 * never from Redis's. Instances sharing a store must have clocks that agree
 * within a small part of the lease (NTP does: milliseconds); one whose clock
 * runs ahead by Δ takes over leases Δ early. Key expiry (`PX`/`EX`) is Redis's
 * own, and only bounds how long a state is kept.
 *
 * Each script's SHA-1 is a constant here, so that no entry needs `node:crypto`
 * (Workers without `nodejs_compat` have none); a test checks every constant
 * against the script's text.
 */

/** A script and its SHA-1 (hex), for `EVALSHA`. */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

/** Reads a leased value: its attempts, owner and whether the lease is still live at `now`; nil when not leased. */
const LEASE_OF = `local function lease_of(value, now)
  if not value then return nil end
  local attempts, until_ms, owner = string.match(value, '^L(%d+):(%d+):(.+)$')
  if attempts then return tonumber(attempts), owner, tonumber(until_ms) > now end
  attempts, owner = string.match(value, '^L(%d+):(.+)$')
  if attempts then return tonumber(attempts), owner, true end
  return nil
end
`;

/** KEYS: delivery, due, info. ARGV: owner, leaseUntil, keyTtlMs, now, watchTaskId ('' for none), dueAt, watchedAt. → {state, attempt} */
const CLAIM_SOURCE = `${LEASE_OF}
local value = redis.call('GET', KEYS[1])
local attempts = 0
if value then
  if value == 'D' then return {0, 0} end
  local leased, _, live = lease_of(value, tonumber(ARGV[4]))
  if live then return {1, 0} end
  attempts = leased or tonumber(string.match(value, '^F(%d+)$')) or 0
end
attempts = attempts + 1
redis.call('SET', KEYS[1], 'L' .. attempts .. ':' .. ARGV[2] .. ':' .. ARGV[1], 'PX', ARGV[3])
if ARGV[5] ~= '' and redis.call('HSETNX', KEYS[3], ARGV[5], ARGV[7] .. ':0') == 1 then
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[5])
end
return {2, attempts}`;

/**
 * KEYS: delivery. ARGV: owner, leaseUntil, leaseMs, attempt. → 1 renewed, 0 another owner holds it (or it is done or released).
 * A missing key (a flush, a restart with no data) is nobody else's: taken back for the owner, as attempt `attempt`.
 */
const RENEW_SOURCE = `${LEASE_OF}
local value = redis.call('GET', KEYS[1])
if not value then
  redis.call('SET', KEYS[1], 'L' .. ARGV[4] .. ':' .. ARGV[2] .. ':' .. ARGV[1], 'PX', ARGV[3])
  return 1
end
local attempts, owner = lease_of(value, 0)
if owner ~= ARGV[1] then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[3]) then ttl = ARGV[3] end
redis.call('SET', KEYS[1], 'L' .. attempts .. ':' .. ARGV[2] .. ':' .. owner, 'PX', ttl)
return 1`;

/** KEYS: delivery, due, info. ARGV: owner, ttlSeconds, unwatchTaskId ('' for none), now. → 1 recorded, 0 another owner holds a live lease */
const COMPLETE_SOURCE = `${LEASE_OF}
local _, owner, live = lease_of(redis.call('GET', KEYS[1]), tonumber(ARGV[4]))
if live and owner ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'D', 'EX', ARGV[2])
if ARGV[3] ~= '' then
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('HDEL', KEYS[3], ARGV[3])
end
return 1`;

/** KEYS: delivery. ARGV: owner, ttlSeconds. → 1 released, 0 not the owner */
const RELEASE_SOURCE = `${LEASE_OF}
local attempts, owner = lease_of(redis.call('GET', KEYS[1]), 0)
if owner ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'F' .. attempts, 'EX', ARGV[2])
return 1`;

/** KEYS: due, info. ARGV: taskId, dueAt, now. */
const WATCH_SOURCE = `if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[3] .. ':0') == 1 then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
return 1`;

/**
 * KEYS: due, info. ARGV: now, limit, leaseUntil. → {'<watchedAt>:<checks>:<taskId>', …}
 * One string per task, never valid JSON (a number then ':'), so that a client that
 * JSON-parses replies (`@upstash/redis`) leaves a task id such as `42` a string.
 */
const TAKE_DUE_SOURCE = `local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local result = {}
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], 'XX', ARGV[3], id)
  table.insert(result, (redis.call('HGET', KEYS[2], id) or '0:0') .. ':' .. id)
end
return result`;

/** KEYS: due, info. ARGV: taskId, dueAt, checks. */
const RESCHEDULE_SOURCE = `local info = redis.call('HGET', KEYS[2], ARGV[1])
if not info then return 0 end
local watched_at = string.match(info, '^(%d+):')
redis.call('HSET', KEYS[2], ARGV[1], watched_at .. ':' .. ARGV[3])
redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1])
return 1`;

/** KEYS: due, info. ARGV: taskId. */
const UNWATCH_SOURCE = `redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`;

export const CLAIM: Script = { source: CLAIM_SOURCE, sha: '425f8b099765eaf3ae5838d1abbed8aed82b0150' };
export const RENEW: Script = { source: RENEW_SOURCE, sha: 'fb9a28eb7a9af393c26c30a21340ace610e1a53d' };
export const COMPLETE: Script = { source: COMPLETE_SOURCE, sha: 'ed6fdc7e0d62f26afd815a8e232b01a6227f1d12' };
export const RELEASE: Script = { source: RELEASE_SOURCE, sha: 'f7c6e81447907527283986a40db3bf111adef8d2' };
export const WATCH: Script = { source: WATCH_SOURCE, sha: '1b1eba24d9bc3cc1956c443bfe144ab948f9249e' };
export const TAKE_DUE: Script = { source: TAKE_DUE_SOURCE, sha: 'b9765c6bee4cae3f11e64ec817ffe2f69bfff962' };
export const RESCHEDULE: Script = { source: RESCHEDULE_SOURCE, sha: 'd83b3cd8d7a92ddcddec6c665ae7a241f93d46d4' };
export const UNWATCH: Script = { source: UNWATCH_SOURCE, sha: '2d2b7e49bfd66edbc0dd17c4d963011b991a029e' };
