/**
 * The Fetch handler served by @hono/node-server, both majors, in this process.
 * 1.x replaces the global `Response` with a lightweight one that writes into the
 * headers object it is given: a frozen, shared record made it answer 500 to
 * every request.
 */
import type { AddressInfo, Server } from 'node:net';
import { serve as serveV2 } from '@hono/node-server';
import { serve as serveV1 } from 'hono-node-server-1';
import { loadFixture, NOW_S, SECRET } from '../helpers/notifications.js';
import { createHandler } from './helpers.js';

type Serve = (options: { fetch: (request: Request) => Promise<Response>; port: number; hostname: string }) => unknown;

describe.each([
  ['1.x', serveV1 as unknown as Serve],
  ['2.x', serveV2 as unknown as Serve],
])('the Fetch handler on @hono/node-server %s', (_major, serve) => {
  let server: Server;
  let url: string;
  const { handle, received, handledTimes } = createHandler();

  beforeAll(async () => {
    server = serve({ fetch: (request) => handle(request), port: 0, hostname: '127.0.0.1' }) as Server;
    await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', resolve)));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/piapi/webhook`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const send = (body: unknown, secret: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-secret': secret },
      body: JSON.stringify(body),
    });

  it('answers genuine deliveries, their duplicates and refusals with their JSON bodies', async () => {
    const body = loadFixture('midjourney-imagine-completed');
    body.timestamp = NOW_S;

    // The same answer twice: the second Response is built from the headers cached for the first.
    for (const outcome of ['accepted', 'duplicate']) {
      const response = await send(body, SECRET);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(response.headers.get('x-piapi-webhook-outcome')).toBe(outcome);
      expect(await response.json()).toEqual({ ok: true });
    }
    const refused = await send(body, 'wrong');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_secret' });

    await handledTimes(1);
    expect(received).toHaveLength(1);
  });
});
