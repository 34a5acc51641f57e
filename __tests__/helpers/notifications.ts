import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PiapiNotification, PiapiTask } from '../../lib/index.js';

export const SECRET = 's3cr3t-7f2c9a';
export const FIXTURES_DIR = join(__dirname, '..', '..', 'fixtures');
/** A fixed clock for tests: 2025-08-14T09:21:41Z, in milliseconds. */
export const NOW_MS = 1_755_163_301_000;
export const NOW_S = NOW_MS / 1000;

export const fixtureNames: readonly string[] = readdirSync(FIXTURES_DIR)
  .filter((file) => file.endsWith('.json'))
  .map((file) => file.slice(0, -'.json'.length))
  .sort();

/** A fresh copy of a fixture from `fixtures/`. */
export function loadFixture(name: string): PiapiNotification {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, `${name}.json`), 'utf8')) as PiapiNotification;
}

/**
 * A notification for the Midjourney fixture, at `NOW_S`, with `data` fields
 * overridden. Use `timestamp` to move it in time.
 */
export function notification(data: Partial<PiapiTask> = {}, timestamp: number = NOW_S): PiapiNotification {
  const base = loadFixture('midjourney-imagine-processing');
  return { timestamp, data: { ...base.data, ...data } };
}
