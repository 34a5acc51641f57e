/**
 * Issue 18, items 10 and 11: the API key and the base URL are checked at setup,
 * through both `piapiWebhook({ recovery })` and `createPiapiClient()`: a key no
 * header can carry is refused without being echoed, and a plain-http base URL
 * that would send the key in clear text needs an explicit opt-in.
 */
import { parseOptions } from '../../lib/core/options.js';
import { memoryStore, PiapiWebhookConfigError } from '../../lib/index.js';
import { createPiapiClient } from '../../lib/recovery/piapi-client.js';

const KEY = 'pk-a1b2c3d4e5f6';
const base = { secret: 'top-secret', onTask: (): void => undefined };

/** Both ways of configuring recovery: the receiver's option and the client alone. */
const setups: Array<[string, (recovery: Record<string, unknown>) => unknown]> = [
  ['piapiWebhook({ recovery })', (recovery) => parseOptions({ ...base, recovery }, memoryStore)],
  ['createPiapiClient()', (recovery) => createPiapiClient(recovery as never)],
];

function thrown(run: () => unknown): PiapiWebhookConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PiapiWebhookConfigError);
    return error as PiapiWebhookConfigError;
  }
  throw new Error('expected a PiapiWebhookConfigError');
}

describe.each(setups)('%s', (_name, setup) => {
  it.each([
    ['a newline at the end (a .env file)', `${KEY}\n`, 'leading or trailing whitespace'],
    ['a CR/LF inside', `${KEY}\r\nx-evil: 1`, 'control character U+000D at position 16'],
    ['a NUL inside', `pk-\u0000${KEY}`, 'control character U+0000 at position 4'],
    ['a character beyond Latin-1', `pk-${KEY}\u2013x`, 'beyond U+00FF at position 19'],
  ])('refuses an API key with %s, saying where, without echoing it', (_case, apiKey, problem) => {
    const error = thrown(() => setup({ apiKey }));
    expect(error.option).toBe('recovery.apiKey');
    expect(error.message).toContain(problem);
    expect(error.message).not.toContain(KEY);
  });

  it('accepts an API key with Latin-1 letters and inner spaces (a header carries them)', () => {
    expect(() => setup({ apiKey: 'pk é 1' })).not.toThrow();
  });

  it.each([
    ['http://api.example.com', 'api.example.com'],
    ['http://10.0.0.8:8080/piapi', '10.0.0.8'],
    ['http://user:pw@proxy.internal', 'proxy.internal'],
  ])('refuses the plain-http base URL %s: the key would travel in clear text', (baseUrl, host) => {
    const error = thrown(() => setup({ apiKey: KEY, baseUrl }));
    expect(error.option).toBe('recovery.baseUrl');
    expect(error.message).toContain(`plain http: on ${host}`);
    expect(error.message).toContain('recovery.allowInsecureBaseUrl: true');
    expect(error.message).not.toContain('pw');
  });

  it('accepts a plain-http base URL on another host with allowInsecureBaseUrl: true', () => {
    expect(() => setup({ apiKey: KEY, baseUrl: 'http://api.example.com', allowInsecureBaseUrl: true })).not.toThrow();
  });

  it.each(['http://127.0.0.1:4010', 'http://localhost:4010/', 'http://[::1]:4010', 'http://fake.localhost'])(
    'accepts the loopback base URL %s without the opt-in',
    (baseUrl) => {
      expect(() => setup({ apiKey: KEY, baseUrl })).not.toThrow();
    },
  );

  it('refuses an allowInsecureBaseUrl that is not a boolean', () => {
    expect(thrown(() => setup({ apiKey: KEY, allowInsecureBaseUrl: 'yes' })).option).toBe(
      'recovery.allowInsecureBaseUrl',
    );
  });
});

it('keeps the opt-in through to the client piapiWebhook builds', () => {
  const config = parseOptions(
    { ...base, recovery: { apiKey: KEY, baseUrl: 'http://piapi.internal/', allowInsecureBaseUrl: true } },
    memoryStore,
  );
  expect(config.recovery).toMatchObject({ baseUrl: 'http://piapi.internal', allowInsecureBaseUrl: true });
});
