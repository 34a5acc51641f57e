/**
 * The Lua scripts behind `redisStore`: each step of a delivery is one atomic
 * script, so one round trip, whichever instance runs it.
 *
 * A delivery key holds `L<attempts>:<owner>` while leased (with a PX lease),
 * `D` once done, and `F<attempts>` once released after a failure (both with the
 * dedupe TTL). Watched tasks live in a sorted set (task id → next check, ms)
 * and a hash (task id → `<watchedAt>:<checks>`). The first claim of a new key,
 * when no task is to be watched, is a plain `SET NX PX` of the same value.
 */

const OWNER_OF = `local function owner_of(value)
  if not value or string.sub(value, 1, 1) ~= 'L' then return nil end
  return string.match(value, '^L%d+:(.+)$')
end
`;

/** KEYS: delivery, due, info. ARGV: owner, leaseMs, watchTaskId ('' for none), dueAt, now. → {state, attempt} */
export const CLAIM = `local value = redis.call('GET', KEYS[1])
local attempts = 0
if value then
  local kind = string.sub(value, 1, 1)
  if kind == 'D' then return {0, 0} end
  if kind == 'L' then return {1, 0} end
  attempts = tonumber(string.match(value, '^F(%d+)$')) or 0
end
attempts = attempts + 1
redis.call('SET', KEYS[1], 'L' .. attempts .. ':' .. ARGV[1], 'PX', ARGV[2])
if ARGV[3] ~= '' and redis.call('HSETNX', KEYS[3], ARGV[3], ARGV[5] .. ':0') == 1 then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
end
return {2, attempts}`;

/**
 * KEYS: delivery. ARGV: owner, leaseMs, attempt. → 1 renewed, 0 another owner holds it (or it is done or released).
 * A missing key (a flush, a restart with no data, a lease that ran out unclaimed) is nobody else's: taken back.
 */
export const RENEW = `${OWNER_OF}
local value = redis.call('GET', KEYS[1])
if not value then
  redis.call('SET', KEYS[1], 'L' .. ARGV[3] .. ':' .. ARGV[1], 'PX', ARGV[2])
  return 1
end
if owner_of(value) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])`;

/** KEYS: delivery, due, info. ARGV: owner, ttlSeconds, unwatchTaskId ('' for none). → 1 recorded, 0 another owner holds it */
export const COMPLETE = `${OWNER_OF}
local holder = owner_of(redis.call('GET', KEYS[1]))
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'D', 'EX', ARGV[2])
if ARGV[3] ~= '' then
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('HDEL', KEYS[3], ARGV[3])
end
return 1`;

/** KEYS: delivery. ARGV: owner, ttlSeconds. → 1 released, 0 not the owner */
export const RELEASE = `local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local attempts, holder = string.match(value, '^L(%d+):(.+)$')
if holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'F' .. attempts, 'EX', ARGV[2])
return 1`;

/** KEYS: due, info. ARGV: taskId, dueAt, now. */
export const WATCH = `if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[3] .. ':0') == 1 then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
return 1`;

/** KEYS: due, info. ARGV: now, limit, leaseUntil. → {taskId, info, taskId, info, …} */
export const TAKE_DUE = `local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local result = {}
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], 'XX', ARGV[3], id)
  table.insert(result, id)
  table.insert(result, redis.call('HGET', KEYS[2], id) or '0:0')
end
return result`;

/** KEYS: due, info. ARGV: taskId, dueAt, checks. */
export const RESCHEDULE = `local info = redis.call('HGET', KEYS[2], ARGV[1])
if not info then return 0 end
local watched_at = string.match(info, '^(%d+):')
redis.call('HSET', KEYS[2], ARGV[1], watched_at .. ':' .. ARGV[3])
redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1])
return 1`;

/** KEYS: due, info. ARGV: taskId. */
export const UNWATCH = `redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`;
