import type { PiapiNotification, PiapiTask } from '../../lib/index.js';
import { FIXTURES } from '../../lib/testing/fixtures.js';

export const SECRET = 's3cr3t-7f2c9a';
/** A fixed clock for tests: 2025-08-14T09:21:41Z, in milliseconds. */
export const NOW_MS = 1_755_163_301_000;
export const NOW_S = NOW_MS / 1000;

export const fixtureNames = Object.keys(FIXTURES).sort() as Array<keyof typeof FIXTURES>;

/** A fresh copy of a shipped fixture, with its own timestamp. */
export function loadFixture(name: keyof typeof FIXTURES): PiapiNotification {
  return structuredClone(FIXTURES[name]);
}

/**
 * A notification for the Midjourney fixture, at `NOW_S`, with `data` fields
 * overridden. Use `timestamp` to move it in time.
 */
export function notification(data: Partial<PiapiTask> = {}, timestamp: number = NOW_S): PiapiNotification {
  const base = loadFixture('midjourney-imagine-processing');
  return { timestamp, data: { ...base.data, ...data } };
}
