/** Counting for the fault suite: duplicates, attributed to kills or not, and the summary table. */
import type { Handled, Started } from './harness.js';

/** What one scenario measured. */
export interface ScenarioResult {
  scenario: string;
  ack: string;
  store: string;
  tasks: number;
  /** Task ids whose terminal status no successful onTask saw. */
  lost: string[];
  /** Extra successes of deliveries whose first success was in a process later killed -9. */
  duplicatesInCrashWindow: number;
  /** Deliveries handled twice with no kill to explain it (a bug), each with its successes: source#attempt, pid, start–end. */
  duplicatesOutsideCrashWindow: string[];
  kills: number;
  /** Deliveries started in a process killed -9 and started again elsewhere after it, by source: `webhook: 3`. */
  takeovers: Record<string, number>;
  /** Of those, the ones whose next start did not count one attempt more (issue 20): key, attempts, sources. */
  takeoversNotCounted: string[];
  /** Terminal successes that came from get-task recovery. */
  recovered: number;
  /** Tasks recovery gave up on (`recovery_gave_up`): unknown to PiAPI or too old. */
  gaveUp: number;
  /** Terminal notifications PiAPI gave up on after 3 attempts. */
  dropped: number;
  /** PiAPI's failed delivery attempts by what they met (a status code or a connection error), e.g. `503 in_progress: 4`. */
  failedAttempts: Record<string, number>;
  seconds: number;
  stderr: string;
}

/**
 * Successes beyond the first, per delivery key. One is explained by a crash when the
 * first success happened in a process killed -9 (between the handler's success
 * and its completion record); any other is unexplained.
 */
export function countDuplicates(
  handled: readonly Handled[],
  killed: ReadonlySet<number>,
): Pick<ScenarioResult, 'duplicatesInCrashWindow' | 'duplicatesOutsideCrashWindow'> {
  const byKey = new Map<string, Handled[]>();
  for (const line of handled) byKey.set(line.deliveryKey, [...(byKey.get(line.deliveryKey) ?? []), line]);
  let duplicatesInCrashWindow = 0;
  const duplicatesOutsideCrashWindow: string[] = [];
  for (const [key, lines] of byKey) {
    if (lines.length < 2) continue;
    // Each success after the first needs its predecessor to have died before recording completion.
    for (let i = 1; i < lines.length; i += 1) {
      if (killed.has((lines[i - 1] as Handled).pid)) duplicatesInCrashWindow += 1;
      else duplicatesOutsideCrashWindow.push(describeLines(key, lines));
    }
  }
  return { duplicatesInCrashWindow, duplicatesOutsideCrashWindow };
}

/**
 * Deliveries that a process killed -9 had started, and that another process started
 * again after the kill: each such start must count one attempt more than the killed
 * one (`ctx.attempt > 1`), whether PiAPI's retry or the recovery brought it.
 */
export function countTakeovers(
  started: readonly Started[],
  killed: ReadonlySet<number>,
): Pick<ScenarioResult, 'takeovers' | 'takeoversNotCounted'> {
  const byKey = new Map<string, Started[]>();
  for (const line of started) byKey.set(line.deliveryKey, [...(byKey.get(line.deliveryKey) ?? []), line]);
  const takeovers: Record<string, number> = {};
  const takeoversNotCounted: string[] = [];
  for (const [key, lines] of byKey) {
    const ordered = [...lines].sort((a, b) => a.at - b.at);
    for (let i = 1; i < ordered.length; i += 1) {
      const before = ordered[i - 1]!;
      const after = ordered[i]!;
      if (!killed.has(before.pid) || after.pid === before.pid) continue;
      takeovers[after.source] = (takeovers[after.source] ?? 0) + 1;
      if (after.attempt <= before.attempt)
        takeoversNotCounted.push(
          `${after.task_id} ${after.status} (${key.slice(0, 12)}…): #${before.attempt} in killed pid ${before.pid}, then ${after.source}#${after.attempt} in pid ${after.pid}`,
        );
    }
  }
  return { takeovers, takeoversNotCounted };
}

function describeLines(key: string, lines: readonly Handled[]): string {
  const t0 = Math.min(...lines.map((line) => line.startedAt));
  const each = lines.map(
    (line) => `${line.source}#${line.attempt} pid ${line.pid} +${line.startedAt - t0}–${line.at - t0} ms`,
  );
  return `${lines[0]?.task_id} ${lines[0]?.status} (${key.slice(0, 12)}…): ${each.join('; ')}`;
}

/** A Markdown table: one row per scenario and configuration. */
export function summaryTable(results: readonly ScenarioResult[]): string {
  const rows = results.map((r) =>
    [
      r.scenario,
      `${r.store}, ${r.ack}`,
      r.tasks,
      r.lost.length,
      r.duplicatesInCrashWindow + r.duplicatesOutsideCrashWindow.length,
      r.duplicatesOutsideCrashWindow.length,
      r.dropped,
      r.recovered,
      r.gaveUp,
      Object.entries(r.failedAttempts)
        .map(([what, count]) => `${what}: ${count}`)
        .join(', ') || '–',
      r.seconds.toFixed(1),
    ].join(' | '),
  );
  const header =
    'fault | store, ack | tasks | lost | handled twice | of which unexplained by a kill | ends PiAPI dropped | ends recovered via get-task | recovery gave up | failed webhook attempts | s';
  return [header, header.replace(/[^|]+/g, '---'), ...rows].map((row) => `| ${row} |`).join('\n');
}
