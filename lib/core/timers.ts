/** The longest delay `setTimeout` honours; a longer one overflows and fires at once. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * `setTimeout` that clamps its delay (so 2³¹ ms means "as long as possible",
 * not "now") and, unless `keepAlive`, does not keep the process alive for it
 * where the runtime can tell.
 */
export function startTimer(run: () => void, delayMs: number, keepAlive = false): ReturnType<typeof setTimeout> {
  const timer = setTimeout(run, Math.min(Math.max(delayMs, 0), MAX_DELAY_MS));
  if (!keepAlive) (timer as { unref?: () => void }).unref?.();
  return timer;
}
