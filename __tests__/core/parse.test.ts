import { parseNotification } from '../../lib/core/parse.js';
import type { RejectionReason } from '../../lib/index.js';
import { fixtureNames, loadFixture, notification } from '../helpers/notifications.js';
import { reasonOf } from '../helpers/rejections.js';

/** The reason a body is refused with, or 'accepted'. */
const reasonFor = (body: unknown): RejectionReason | 'accepted' => reasonOf(() => parseNotification(body));

/** A valid notification with one field of `data` replaced (or removed, with `undefined`). */
function withData(field: string, value: unknown): string {
  const body = notification() as unknown as { data: Record<string, unknown> };
  if (value === undefined) delete body.data[field];
  else body.data[field] = value;
  return JSON.stringify(body);
}

describe('parseNotification', () => {
  it.each(fixtureNames)('accepts the %s fixture', (name) => {
    const parsed = parseNotification(Buffer.from(JSON.stringify(loadFixture(name))));
    expect(parsed.data.task_id).toBe(loadFixture(name).data.task_id);
  });

  it('accepts bytes, text, and a value an upstream parser produced', () => {
    const body = notification();
    expect(parseNotification(Buffer.from(JSON.stringify(body))).data.task_id).toBe(body.data.task_id);
    expect(parseNotification(JSON.stringify(body)).data.task_id).toBe(body.data.task_id);
    expect(parseNotification(body).data.task_id).toBe(body.data.task_id);
  });

  it('ignores a UTF-8 byte order mark', () => {
    expect(reasonFor(`\uFEFF${JSON.stringify(notification())}`)).toBe('accepted');
  });

  it('lowercases the documented capitalised statuses', () => {
    expect(parseNotification(JSON.stringify(notification({ status: 'Completed' }))).data.status).toBe('completed');
    expect(parseNotification(JSON.stringify(notification({ status: 'STAGED' }))).data.status).toBe('staged');
  });

  it('passes an undocumented status through, lowercased, rather than losing the event', () => {
    expect(parseNotification(JSON.stringify(notification({ status: 'Cancelled' }))).data.status).toBe('cancelled');
  });

  it('removes the secret PiAPI echoes in config.webhook_config and keeps the endpoint', () => {
    const parsed = parseNotification(JSON.stringify(loadFixture('midjourney-imagine-completed')));
    expect(parsed.data.config?.webhook_config).toEqual({ endpoint: 'https://hooks.example.com/piapi/webhook' });
    expect(JSON.stringify(parsed)).not.toContain('s3cr3t');
  });

  it('keeps fields it does not know', () => {
    const body = notification({ output: { brand_new: [1, 2] } }) as unknown as Record<string, unknown>;
    body['extra'] = true;
    const parsed = parseNotification(JSON.stringify(body)) as unknown as Record<string, unknown>;
    expect(parsed['extra']).toBe(true);
    expect((parsed['data'] as { output: unknown }).output).toEqual({ brand_new: [1, 2] });
  });

  it.each<[string, unknown, RejectionReason]>([
    ['an empty body', '', 'invalid_json'],
    ['truncated JSON', '{"timestamp": 1, "data": {', 'invalid_json'],
    ['not JSON at all', 'hello', 'invalid_json'],
    ['a JSON array', '[]', 'invalid_payload'],
    ['a JSON string', '"hello"', 'invalid_payload'],
    ['a JSON number', '42', 'invalid_payload'],
    ['JSON null', 'null', 'invalid_payload'],
    ['an object without data', JSON.stringify({ timestamp: 1 }), 'invalid_payload'],
    ['an object without timestamp', JSON.stringify({ data: notification().data }), 'invalid_payload'],
    [
      'a timestamp given as a string',
      JSON.stringify({ ...notification(), timestamp: '1755163301' }),
      'invalid_payload',
    ],
    ['a fractional timestamp', JSON.stringify({ ...notification(), timestamp: 1755163301.5 }), 'invalid_payload'],
    ['a negative timestamp', JSON.stringify({ ...notification(), timestamp: -1 }), 'invalid_payload'],
    ['data that is an array', JSON.stringify({ timestamp: 1, data: [] }), 'invalid_payload'],
    ['no task_id', withData('task_id', undefined), 'invalid_payload'],
    ['an empty task_id', withData('task_id', ''), 'invalid_payload'],
    ['a numeric task_id', withData('task_id', 7), 'invalid_payload'],
    ['no model', withData('model', undefined), 'invalid_payload'],
    ['no task_type', withData('task_type', undefined), 'invalid_payload'],
    ['no status', withData('status', undefined), 'invalid_payload'],
    ['an empty status', withData('status', ''), 'invalid_payload'],
    ['a numeric status', withData('status', 99), 'invalid_payload'],
  ])('refuses %s with %s', (_name, body, expected) => {
    expect(reasonFor(body)).toBe(expected);
  });

  /** The warnings parseNotification reports for a body it accepts. */
  function warningsFor(body: unknown): string[] {
    const warnings: string[] = [];
    parseNotification(body, warnings);
    return warnings;
  }

  it.each<[string, string, string[]]>([
    [
      'a meta.usage.frozen that is a string',
      withData('meta', { usage: { frozen: '0', consume: 0 } }),
      ['data.meta.usage.frozen must be number'],
    ],
    ['an output that is a string', withData('output', 'done'), ['data.output must be object,null']],
    ['logs that are an object', withData('logs', {}), ['data.logs must be array,null']],
    [
      'an error code that is a string',
      withData('error', { code: '0', message: '' }),
      ['data.error.code must be integer'],
    ],
    ['a config that is a string', withData('config', 'public'), ['data.config must be object']],
    [
      'a webhook_config that is a string',
      withData('config', { webhook_config: 'x' }),
      ['data.config.webhook_config must be object'],
    ],
    [
      'several drifted fields at once',
      withData('meta', { created_at: 1, usage: { consume: '1' }, is_using_private_pool: 'no' }),
      [
        'data.meta.created_at must be string',
        'data.meta.usage.consume must be number',
        'data.meta.is_using_private_pool must be boolean',
      ],
    ],
  ])('accepts %s, and reports the drift as warnings', (_name, body, expected) => {
    expect(reasonFor(body)).toBe('accepted');
    expect(warningsFor(body)).toEqual(expected);
  });

  it.each(fixtureNames)('reports no warning for the %s fixture', (name) => {
    expect(warningsFor(JSON.stringify(loadFixture(name)))).toEqual([]);
  });

  it('still removes the echoed secret from a drifted config', () => {
    const body = loadFixture('midjourney-imagine-completed') as unknown as { data: Record<string, unknown> };
    body.data['input'] = 'drifted';
    const parsed = parseNotification(JSON.stringify(body), []);
    expect(JSON.stringify(parsed)).not.toContain('s3cr3t');
  });

  it.each([null, 123, true, ['a']])('refuses the already-parsed value %p with invalid_payload', (value) => {
    expect(reasonFor(value)).toBe('invalid_payload');
  });

  it('decodes UTF-8 bytes given as a plain Uint8Array (no Buffer)', () => {
    const body = notification({ task_id: 'tâche-✓' });
    const bytes = new TextEncoder().encode(JSON.stringify(body));
    expect(Buffer.isBuffer(bytes)).toBe(false);
    expect(parseNotification(bytes).data.task_id).toBe('tâche-✓');
  });

  it('accepts the documented nulls and empty objects', () => {
    for (const [field, value] of [
      ['output', null],
      ['logs', null],
      ['meta', {}],
      ['input', {}],
      ['detail', null],
      ['config', undefined],
      ['meta', undefined],
      ['error', undefined],
    ] as const) {
      expect([field, reasonFor(withData(field, value))]).toEqual([field, 'accepted']);
    }
  });

  it('names the offending field in its message', () => {
    expect(() => parseNotification(withData('status', 99))).toThrow('data.status must be string');
    expect(() => parseNotification(withData('task_id', undefined))).toThrow(
      "data must have required property 'task_id'",
    );
    expect(() => parseNotification('[]')).toThrow('body must be object');
  });
});
