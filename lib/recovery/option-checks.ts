/**
 * The checks of the two options that decide where the API key goes and whether
 * a header can carry it: shared by `createPiapiClient()` and the `recovery`
 * option. Like the client, they import no `node:*` module.
 */
import { PiapiWebhookConfigError } from '../core/errors.js';
import { codePoint, describe, NON_LATIN1, NOT_FIELD_VALUE } from '../core/option-checks.js';

/** PiAPI's API, where the key goes unless `baseUrl` says otherwise. */
export const DEFAULT_BASE_URL = 'https://api.piapi.ai';

/** Hosts whose traffic never leaves the machine: plain http: is fine there (a local fake, a sidecar). */
function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/**
 * Checks `baseUrl`: an http(s) URL, and https: unless its host is loopback or
 * `allowInsecure` says the plain-http network is trusted, since every request
 * carries the API key.
 *
 * @param baseUrl - the user's `baseUrl`
 * @param allowInsecure - the user's `allowInsecureBaseUrl`
 * @param prefix - how the options are named in errors (`recovery.`)
 * @returns the URL without trailing slashes
 * @throws PiapiWebhookConfigError naming the option
 */
export function checkBaseUrl(baseUrl: unknown, allowInsecure: unknown = false, prefix = 'recovery.'): string {
  if (typeof allowInsecure !== 'boolean') {
    throw new PiapiWebhookConfigError(
      `${prefix}allowInsecureBaseUrl`,
      `must be true or false, received ${describe(allowInsecure)}.`,
    );
  }
  let url: URL | undefined;
  if (typeof baseUrl === 'string') {
    try {
      url = new URL(baseUrl);
    } catch {
      // Reported below, with the option's name.
    }
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new PiapiWebhookConfigError(
      `${prefix}baseUrl`,
      `must be an http(s) URL such as ${JSON.stringify(DEFAULT_BASE_URL)}, received ${describe(baseUrl)}.`,
    );
  }
  if (url.protocol === 'http:' && !allowInsecure && !isLoopback(url.hostname)) {
    // Only the host is echoed: the URL could carry credentials.
    throw new PiapiWebhookConfigError(
      `${prefix}baseUrl`,
      `is plain http: on ${url.hostname}, which is not a loopback host, so the API key would travel in clear text. Use https:, or set ${prefix}allowInsecureBaseUrl: true if that network is trusted (a proxy on a private network).`,
    );
  }
  return (baseUrl as string).replace(/\/+$/, '');
}

/**
 * Checks the API key: a non-empty string that the `x-api-key` header can carry
 * (Latin-1, no control character, no surrounding whitespace). Never echoes it.
 *
 * @param apiKey - the user's `apiKey`
 * @param option - how the option is named in errors
 * @throws PiapiWebhookConfigError saying what is wrong, by position and code point only
 */
export function checkApiKey(apiKey: unknown, option = 'recovery.apiKey'): string {
  if (typeof apiKey !== 'string' || apiKey.trim() === '') {
    throw new PiapiWebhookConfigError(
      option,
      'is required: pass your PiAPI API key, a non-empty string (for example process.env.PIAPI_API_KEY).',
    );
  }
  // fetch trims header values, so such a key would arrive changed (and a key with a newline is refused by fetch itself).
  if (apiKey.trim() !== apiKey) {
    throw new PiapiWebhookConfigError(
      option,
      'has leading or trailing whitespace, which the x-api-key header can never carry. Trim it (a trailing newline from a .env file?).',
    );
  }
  const wide = NON_LATIN1.exec(apiKey);
  if (wide !== null) {
    throw new PiapiWebhookConfigError(
      option,
      `has a character beyond U+00FF at position ${wide.index + 1}, which the x-api-key header cannot carry. Copy the key again from PiAPI's workspace.`,
    );
  }
  const control = NOT_FIELD_VALUE.exec(apiKey);
  if (control !== null) {
    throw new PiapiWebhookConfigError(
      option,
      `has the control character ${codePoint(control[0])} at position ${control.index + 1}, which the x-api-key header cannot carry. Remove it.`,
    );
  }
  return apiKey;
}
