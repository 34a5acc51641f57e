import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PiapiWebhookConfigError } from '../../lib/index.js';
import {
  createPiapiClient,
  parseRetryAfter,
  type PiapiClientOptions,
  type TaskLookup,
} from '../../lib/recovery/piapi-client.js';
import { FakePiapi } from '../helpers/fake-piapi.js';

const API_KEY = 'sk-live-never-shown-0123456789';

let piapi: FakePiapi;
beforeEach(async () => {
  piapi = await FakePiapi.start({ apiKey: API_KEY, webhooks: false });
});
afterEach(async () => {
  await piapi.close();
});

/** A client of the fake whose back-off only records what it would have waited. */
function client(options: Partial<PiapiClientOptions> = {}): {
  getTask(id: string): Promise<TaskLookup>;
  waits: number[];
} {
  const waits: number[] = [];
  const sleep = async (ms: number): Promise<void> => void waits.push(ms);
  return { ...createPiapiClient({ apiKey: API_KEY, baseUrl: piapi.url, sleep, random: () => 0.5, ...options }), waits };
}

async function createdTaskId(): Promise<string> {
  return (await piapi.createTask({ model: 'Qubico/flux1-dev', task_type: 'txt2img', input: { prompt: 'a cat' } }))
    .task_id;
}

/** Every string a lookup result could carry into a log: its error's message, name, stack and JSON. */
function everyText(lookup: TaskLookup): string {
  if (lookup.kind !== 'unavailable') return JSON.stringify(lookup);
  const { error } = lookup;
  return [error.message, error.name, error.stack, JSON.stringify(error), String(error), JSON.stringify(lookup)].join(
    '\n',
  );
}

describe('PiAPI get-task client', () => {
  it('returns the envelope data of a known task, asking with the API key', async () => {
    const id = await createdTaskId();
    const lookup = await client().getTask(id);
    expect(lookup).toEqual({
      kind: 'found',
      task: expect.objectContaining({ task_id: id, status: 'pending', model: 'Qubico/flux1-dev' }),
    });
    expect(piapi.getRequests.map((request) => request.apiKey)).toEqual([API_KEY]);
  });

  it('encodes the task id into the path', async () => {
    const lookup = await client().getTask('a/b?c#d');
    expect(lookup).toEqual({ kind: 'not_found' });
    expect(piapi.getRequests[0]?.taskId).toBe('a/b?c#d');
  });

  it.each([
    ['HTTP 404 with a not-found envelope', { status: 404, body: { code: 404, data: null, message: 'task not found' } }],
    ['HTTP 404 with no body', { status: 404, body: '' }],
    ['HTTP 200 with envelope code 404', { status: 200, body: { code: 404, data: null, message: 'no' } }],
    [
      'HTTP 200 with a not-found message',
      { status: 200, body: { code: 10002, data: null, message: 'Task not found' } },
    ],
  ])('reports not_found, without retrying, for %s', async (_name, fault) => {
    piapi.failGets(1, fault);
    const c = client();
    expect(await c.getTask('unknown')).toEqual({ kind: 'not_found' });
    expect(piapi.getRequests).toHaveLength(1);
    expect(c.waits).toEqual([]);
  });

  it('reports not_found for an id the fake never created', async () => {
    expect(await client().getTask('never-created')).toEqual({ kind: 'not_found' });
  });

  it('waits out a 429 for as long as Retry-After says, then returns the task', async () => {
    const id = await createdTaskId();
    piapi.failGets(1, {
      status: 429,
      headers: { 'retry-after': '7' },
      body: { code: 429, data: null, message: 'rate limited' },
    });
    const c = client();
    expect(await c.getTask(id)).toMatchObject({ kind: 'found', task: { task_id: id } });
    expect(c.waits).toEqual([7000]);
    expect(piapi.getRequests).toHaveLength(2);
  });

  it('reads a Retry-After given as an HTTP date', async () => {
    const id = await createdTaskId();
    const now = Date.parse('2026-01-01T00:00:00Z');
    piapi.failGets(1, { status: 503, headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:04 GMT' } });
    const c = client({ now: () => now });
    expect(await c.getTask(id)).toMatchObject({ kind: 'found' });
    expect(c.waits).toEqual([4000]);
  });

  it("caps a long Retry-After at maxDelayMs, and reports PiAPI's advice once its attempts are spent", async () => {
    piapi.failGets(2, { status: 429, headers: { 'retry-after': '3600' } });
    const c = client({ maxAttempts: 2, maxDelayMs: 20_000 });
    const lookup = await c.getTask(await createdTaskId());
    expect(lookup).toMatchObject({ kind: 'unavailable', retryAfterMs: 3_600_000, error: { status: 429 } });
    expect(c.waits).toEqual([20_000]);
  });

  it('retries a 500 and returns the task from the next answer', async () => {
    const id = await createdTaskId();
    piapi.failGets(1, { status: 500 });
    const c = client();
    expect(await c.getTask(id)).toMatchObject({ kind: 'found', task: { task_id: id } });
    expect(piapi.getRequests).toHaveLength(2);
  });

  it('backs off exponentially with full jitter, bounded by maxDelayMs', async () => {
    piapi.failGets(5, { status: 502 });
    const c = client({ maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 3000, random: () => 0.5 });
    expect(await c.getTask(await createdTaskId())).toMatchObject({ kind: 'unavailable', error: { status: 502 } });
    expect(c.waits).toEqual([500, 1000, 1500, 1500]);
    expect(piapi.getRequests).toHaveLength(5);
  });

  it.each([
    ['an envelope code 500', 3, { status: 200, body: { code: 500, data: null, message: 'internal' } }],
    ['a body that is not JSON', 3, { status: 200, body: '<html>gateway</html>' }],
    ['HTTP 401', 1, { status: 401, body: { code: 401, data: null, message: 'Unauthorized' } }],
    ['HTTP 400', 1, { status: 400, body: { code: 400, data: null, message: 'bad request' } }],
    ['an envelope code 400', 1, { status: 200, body: { code: 400, data: null, message: 'invalid request' } }],
    ['code 200 without data', 1, { status: 200, body: { code: 200, data: null, message: 'success' } }],
  ])(
    'reports %s as unavailable after %i request(s): retried only where that can help',
    async (_name, requests, fault) => {
      piapi.failGets(10, fault);
      const lookup = await client().getTask(await createdTaskId());
      expect(lookup.kind).toBe('unavailable');
      expect(piapi.getRequests).toHaveLength(requests);
    },
  );

  it('gives up on an endpoint that never answers, after timeoutMs per attempt', async () => {
    piapi.hangGets(2);
    const c = client({ timeoutMs: 200, maxAttempts: 2 });
    const lookup = await c.getTask(await createdTaskId());
    expect(lookup).toMatchObject({ kind: 'unavailable' });
    expect(lookup.kind === 'unavailable' && lookup.error.message).toMatch(/no answer within 200 ms/);
    expect(piapi.getRequests).toHaveLength(2);
  });

  it('recovers from a timed-out attempt with the next one', async () => {
    const id = await createdTaskId();
    piapi.hangGets(1);
    expect(await client({ timeoutMs: 200 }).getTask(id)).toMatchObject({ kind: 'found' });
  });

  it('reports a network error as unavailable with its cause', async () => {
    const url = piapi.url;
    await piapi.close();
    const lookup = await createPiapiClient({
      apiKey: API_KEY,
      baseUrl: url,
      maxAttempts: 2,
      sleep: async () => undefined,
    }).getTask('x');
    expect(lookup).toMatchObject({ kind: 'unavailable' });
    expect(lookup.kind === 'unavailable' && lookup.error.message).toMatch(/ECONNREFUSED/);
    piapi = await FakePiapi.start({ apiKey: API_KEY, webhooks: false });
  });

  it('keeps at most `concurrency` requests in flight; the others wait their turn', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, createdTaskId));
    piapi.delayGets(50);
    const c = client({ concurrency: 3 });
    const lookups = await Promise.all(ids.map((id) => c.getTask(id)));
    expect(lookups.every((lookup) => lookup.kind === 'found')).toBe(true);
    expect(piapi.maxGetsInFlight).toBe(3);
    expect(piapi.getRequests).toHaveLength(12);
  });

  it('never puts the API key in an error, even when PiAPI or fetch quotes it', async () => {
    piapi.failGets(1, { status: 200, body: { code: 401, data: null, message: `invalid api key ${API_KEY}` } });
    const fromEnvelope = await client().getTask('a');
    const leakyFetch: typeof fetch = async () => {
      throw new TypeError(`fetch failed for key ${API_KEY}`, { cause: { message: `header x-api-key: ${API_KEY}` } });
    };
    const fromFetch = await client({ fetch: leakyFetch, maxAttempts: 1 }).getTask('b');
    piapi.hangGets(1);
    const fromTimeout = await client({ timeoutMs: 100, maxAttempts: 1 }).getTask('c');
    for (const lookup of [fromEnvelope, fromFetch, fromTimeout]) {
      expect(lookup.kind).toBe('unavailable');
      expect(everyText(lookup)).not.toContain(API_KEY);
    }
    expect(everyText(fromEnvelope)).toContain('invalid api key [redacted]');
  });

  it.each([301, 302, 303, 307, 308])(
    'reports a %i redirect as a failed lookup and never follows it with the API key',
    async (status) => {
      // Another origin (another port), which would hear x-api-key if the redirect were followed.
      const elsewhere = await FakePiapi.start({ apiKey: 'another-key', webhooks: false });
      try {
        const location = `${elsewhere.url}/api/v1/task/a`;
        piapi.failGets(1, { status, body: '', headers: { location } });
        const lookup = await client({ maxAttempts: 1 }).getTask('a');
        expect(lookup).toMatchObject({ kind: 'unavailable', error: { status } });
        expect(everyText(lookup)).toContain('not followed');
        expect(elsewhere.getRequests).toEqual([]);
      } finally {
        await elsewhere.close();
      }
    },
  );

  it.each([
    ['apiKey', { apiKey: '' }, '"recovery.apiKey"'],
    ['baseUrl', { baseUrl: 'ftp://example.com' }, '"recovery.baseUrl"'],
    ['concurrency', { concurrency: 1.5 }, '"recovery.concurrency"'],
    ['timeoutMs', { timeoutMs: 0 }, '"recovery.timeoutMs"'],
  ])('refuses a wrong %s at construction, naming the option', (_name, options, message) => {
    expect(() => createPiapiClient({ apiKey: API_KEY, ...options })).toThrow(PiapiWebhookConfigError);
    expect(() => createPiapiClient({ apiKey: API_KEY, ...options })).toThrow(message);
  });

  it('does not echo a wrong-looking API key in its config error', () => {
    const error = (() => {
      try {
        createPiapiClient({ apiKey: API_KEY, concurrency: -1 });
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error?.message).not.toContain(API_KEY);
  });
});

describe('PiAPI get-task client portability', () => {
  /** The file and every module it imports, transitively (relative imports only: anything else would be a dependency). */
  function sources(file: string, seen = new Map<string, string>()): Map<string, string> {
    if (seen.has(file)) return seen;
    const text = readFileSync(file, 'utf8');
    seen.set(file, text);
    for (const [, specifier] of text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g))
      sources(join(dirname(file), `${specifier}.ts`), seen);
    return seen;
  }

  it('runs on Cloudflare Workers: neither it nor anything it imports uses a node:* module or Buffer', () => {
    const files = sources(resolve(__dirname, '../../lib/recovery/piapi-client.ts'));
    expect(files.size).toBeGreaterThan(1);
    for (const [file, text] of files) {
      const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect({ file, imports: code.match(/from '[^.][^']*'/g) ?? [] }).toEqual({ file, imports: [] });
      expect({ file, buffer: /\bBuffer\b/.test(code) }).toEqual({ file, buffer: false });
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    [null, undefined],
    ['5', 5000],
    [' 1.5 ', 1500],
    ['Thu, 01 Jan 2026 00:00:10 GMT', 10_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['soon', undefined],
    ['-3', undefined],
  ])('reads %p as %p ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
