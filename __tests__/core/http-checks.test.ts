import { checkMediaType, checkTimestamp, createSecretCheck } from '../../lib/core/http-checks.js';
import type { RejectionReason } from '../../lib/index.js';
import { PLATFORMS } from '../helpers/platforms.js';
import { reasonOf } from '../helpers/rejections.js';

describe.each(PLATFORMS)('createSecretCheck with %s', (_platform, platform) => {
  const check = createSecretCheck(['current-secret', 'previous-secret'], platform);

  it.each<[string, string | undefined, RejectionReason | 'accepted']>([
    ['the current secret', 'current-secret', 'accepted'],
    ['the previous secret, during a rotation', 'previous-secret', 'accepted'],
    ['no header', undefined, 'missing_secret'],
    ['an empty header', '', 'missing_secret'],
    ['a wrong secret of the same length', 'current-secreX', 'invalid_secret'],
    ['a shorter secret', 'current', 'invalid_secret'],
    ['a longer secret', 'current-secret-and-more', 'invalid_secret'],
    ['both secrets joined, as duplicate headers arrive', 'current-secret, previous-secret', 'invalid_secret'],
    ['a secret in another case', 'CURRENT-SECRET', 'invalid_secret'],
    ['a non-ASCII secret', 'current-secrét', 'invalid_secret'],
  ])('given %s, answers %s', (_name, header, expected) => {
    expect(reasonOf(() => check(header))).toBe(expected);
  });
});

describe('checkTimestamp', () => {
  const nowMs = 1_700_000_000_000;
  const now = nowMs / 1000;

  it.each<[string, number, RejectionReason | 'accepted']>([
    ['now', now, 'accepted'],
    ['exactly maxSkewSeconds old', now - 300, 'accepted'],
    ['exactly maxSkewSeconds ahead', now + 300, 'accepted'],
    ['one second too old', now - 301, 'stale_timestamp'],
    ['one second too far ahead', now + 301, 'stale_timestamp'],
    ['zero', 0, 'stale_timestamp'],
    ['in milliseconds by mistake', nowMs, 'stale_timestamp'],
  ])('a timestamp %s is %s', (_name, timestamp, expected) => {
    expect(reasonOf(() => checkTimestamp(timestamp, nowMs, 300))).toBe(expected);
  });

  it('says which way the clock is off', () => {
    expect(() => checkTimestamp(now - 1000, nowMs, 300)).toThrow('1000 s in the past');
    expect(() => checkTimestamp(now + 1000, nowMs, 300)).toThrow('1000 s in the future');
  });
});

describe('checkMediaType', () => {
  it.each<[string | undefined, string | undefined, RejectionReason | 'accepted']>([
    ['application/json', undefined, 'accepted'],
    ['application/json; charset=utf-8', undefined, 'accepted'],
    ['application/json;charset=UTF-8', undefined, 'accepted'],
    ['Application/JSON', undefined, 'accepted'],
    ['application/json', 'identity', 'accepted'],
    [undefined, undefined, 'unsupported_media_type'],
    ['', undefined, 'unsupported_media_type'],
    ['text/plain', undefined, 'unsupported_media_type'],
    ['application/x-www-form-urlencoded', undefined, 'unsupported_media_type'],
    ['application/jsonp', undefined, 'unsupported_media_type'],
    ['application/json; charset', undefined, 'unsupported_media_type'],
    ['application/json', 'gzip', 'unsupported_media_type'],
  ])('content-type %j with content-encoding %j is %s', (contentType, encoding, expected) => {
    expect(reasonOf(() => checkMediaType(contentType, encoding))).toBe(expected);
  });
});
