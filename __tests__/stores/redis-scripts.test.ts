import { createHash } from 'node:crypto';
import * as scripts from '../../lib/stores/redis-scripts.js';

describe('the Lua scripts of redisStore and upstashStore', () => {
  const all = Object.entries(scripts).filter(
    (entry): entry is [string, scripts.Script] => typeof entry[1].source === 'string',
  );

  it('are all here', () => {
    expect(all.map(([name]) => name).sort()).toEqual(
      ['CLAIM', 'COMPLETE', 'RELEASE', 'RENEW', 'RESCHEDULE', 'TAKE_DUE', 'UNWATCH', 'WATCH'].sort(),
    );
  });

  // The SHA-1s are constants so that the upstash entry needs no node:crypto (Workers without nodejs_compat).
  it.each(all)(
    '%s carries the SHA-1 of its text (run `node scripts/update-script-shas.mjs` after a change)',
    (_name, script) => {
      expect(script.sha).toBe(createHash('sha1').update(script.source).digest('hex'));
    },
  );
});
