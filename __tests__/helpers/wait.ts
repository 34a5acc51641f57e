/**
 * Waits until `condition` holds, polling. The deadline is far beyond any normal
 * run: it only turns a hang into a clear failure, it never decides a pass.
 */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what = 'the condition',
  deadlineMs = 30_000,
): Promise<void> {
  const giveUpAt = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > giveUpAt) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
