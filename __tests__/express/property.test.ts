/**
 * Property-based tests: random methods, headers, content types and bodies.
 * Whatever arrives, the answer is never a 5xx, the process never crashes, the
 * handler never sees anything invalid, and no prototype is polluted.
 */
import fc from 'fast-check';
import type { Server } from 'node:http';
import { createApp, expressVersions, rawRequest, settle } from '../helpers/apps.js';
import { notification, NOW_S, SECRET } from '../helpers/notifications.js';

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)) });
const method = fc.constantFrom('POST', 'POST', 'POST', 'PUT', 'GET', 'DELETE', 'PATCH');
const secret = fc.option(fc.oneof(fc.constant(SECRET), fc.constant(''), printable), { nil: undefined });
const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json;',
    ),
    printable,
  ),
  { nil: undefined },
);
/** Bodies that are not a valid notification: junk bytes, any JSON, and near misses. */
const invalidBody = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
  fc.json().map((json) => Buffer.from(json)),
  fc
    .record({
      timestamp: fc.anything(),
      data: fc.dictionary(fc.constantFrom('task_id', 'model', 'task_type', 'status', 'output'), fc.anything()),
    })
    .map((body) => Buffer.from(JSON.stringify(body))),
);

describe.each(expressVersions)('random requests on %s', (_version, express) => {
  let server: Server;
  let app: ReturnType<typeof createApp>;
  beforeAll(() => {
    app = createApp(express, {}, { mount: 'use' });
    server = app.app.listen(0);
  });
  afterAll(() => {
    server.close();
  });

  it('never answers 5xx, and never calls the handler, for anything that is not a valid notification', async () => {
    await fc.assert(
      fc.asyncProperty(method, secret, contentType, invalidBody, async (verb, header, type, body) => {
        const before = app.received.length;
        const headers: Record<string, string> = {};
        if (header !== undefined) headers['x-webhook-secret'] = header;
        if (type !== undefined) headers['content-type'] = type;
        const response = await rawRequest(server, verb, headers, body);
        await settle();
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(response.json).toEqual({ error: expect.any(String), message: expect.any(String) });
        expect(app.received.length).toBe(before);
      }),
      { numRuns: 500 },
    );
  });

  it('lets no __proto__ or constructor key in a genuine notification pollute a prototype', async () => {
    const dangerous = fc.constantFrom('__proto__', 'constructor', 'prototype');
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(dangerous, { minLength: 1 }),
        fc.string({ minLength: 1, maxLength: 20 }),
        async (keys, id) => {
          const nested = keys.reduceRight<unknown>((inner, key) => ({ [key]: inner }), { polluted: 'yes' });
          const body = notification({ task_id: `proto-${id}` }, NOW_S);
          // Written by hand: JSON.stringify and object literals treat __proto__ specially.
          const text = JSON.stringify(body).replace(
            '"data":{',
            `"data":{"__proto__":{"polluted":"yes"},"meta":{"extra":${JSON.stringify(nested)}},`,
          );
          const raw = text.replace(
            /^\{/,
            `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},`,
          );
          const before = app.received.length;
          const headers = { 'content-type': 'application/json', 'x-webhook-secret': SECRET };
          const response = await rawRequest(server, 'POST', headers, Buffer.from(raw));
          await settle();
          expect([response.status, response.json]).toEqual([200, { ok: true }]);
          expect(app.received.length).toBeLessThanOrEqual(before + 1);
          expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
          expect(Object.keys(Object.prototype)).toEqual([]);
        },
      ),
      { numRuns: 50 },
    );
  });
});
