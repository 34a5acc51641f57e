// CPU time of processes the bench does not own a stdin of (redis-server, Postgres), from /proc (Linux only).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Ticks per second of /proc's CPU times (USER_HZ): 100 on every Linux that matters, asked once. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The fields of /proc/<pid>/stat after the command name (in parentheses, may hold spaces); undefined once gone. */
function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * A process's CPU time so far (user + system, every thread), in µs, at 1/CLOCK_TICKS s resolution;
 * `children` adds what its exited and reaped children used. 0 once the process is gone.
 */
export function procCpuMicros(pid, children = false) {
  const fields = statFields(pid);
  if (fields === undefined) return 0;
  // utime, stime, cutime, cstime are the 14th to 17th fields of stat, 12th to 15th after the name.
  const ticks = Number(fields[11]) + Number(fields[12]) + (children ? Number(fields[13]) + Number(fields[14]) : 0);
  return (ticks * 1e6) / CLOCK_TICKS;
}

/**
 * The CPU of a whole Postgres server, in µs: the postmaster with its exited children (backends
 * of closed connections) and every live child (backends, WAL writer, checkpointer, …).
 */
export function postgresCpuMicros(postmaster) {
  let total = procCpuMicros(postmaster, true);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    // The 4th field of stat, 2nd after the name, is the parent's pid.
    if (Number(statFields(name)?.[1]) === postmaster) total += procCpuMicros(Number(name));
  }
  return total;
}
