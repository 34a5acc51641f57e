/**
 * A stand-in for an Upstash Redis database: an HTTP server in the test process
 * that speaks Upstash's documented REST protocol and forwards every command to a
 * real redis-server (through ioredis), so that the real `@upstash/redis` client
 * runs against real Redis. Never shipped.
 *
 * Covered:
 * - `POST /` with a JSON command array (`["SET", "k", "v", "NX", "PX", 1000]`;
 *   numbers are sent as JSON numbers and forwarded as strings) → `{ "result": … }`,
 *   or `{ "error": "…" }` with status 400 when Redis answers an error;
 * - `POST /pipeline` (an array of command arrays; not atomic, run in order) and
 *   `POST /multi-exec` (run as MULTI/EXEC on one connection, atomic) → 200 with an
 *   array of `{ result }` / `{ error }`; an aborted transaction (EXECABORT) is one
 *   `{ error }` with status 400;
 * - `Authorization: Bearer <token>` on every request: 401 `{ "error": "Unauthorized" }`
 *   otherwise (compared in constant time);
 * - `Upstash-Encoding: base64`, which the client asks for by default: every bulk string
 *   of a result (inside arrays too) is base64-encoded, `"OK"` and integers are not;
 * - the `upstash-sync-token` response header (a counter), which the client echoes;
 * - 400 for a body that is not a command array, 405 for a method other than POST,
 *   404 for any other path.
 *
 * Not covered: the path-style commands (`GET /set/foo/bar`), `_token` query
 * parameters, read-only tokens, SSE (`subscribe`, `monitor`), RESP3 types, and
 * binary values (replies are UTF-8 strings).
 *
 * It counts the requests it served per path (`requests`), so that tests can count
 * round trips.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';

type Command = Array<string | number | boolean>;
type Envelope = { result: unknown } | { error: string };

const PATHS = ['/', '/pipeline', '/multi-exec'] as const;
type BridgePath = (typeof PATHS)[number];

function base64(value: unknown): unknown {
  if (typeof value === 'string') return value === 'OK' ? value : Buffer.from(value, 'utf8').toString('base64');
  if (Array.isArray(value)) return value.map(base64);
  return value;
}

function isCommand(value: unknown): value is Command {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((part) => ['string', 'number', 'boolean'].includes(typeof part))
  );
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An Upstash-protocol bridge over a redis-server. */
export class UpstashBridge {
  /** Requests served (authorised or not), per path. */
  readonly requests: Record<BridgePath, number> = { '/': 0, '/pipeline': 0, '/multi-exec': 0 };
  private syncToken = 0;

  private constructor(
    private readonly server: Server,
    private readonly redis: Redis,
    readonly token: string,
  ) {}

  /**
   * Starts a bridge on a free loopback port.
   * @param redisUrl - the redis-server to forward to
   * @param token - the bearer token clients must send
   */
  static async start(redisUrl: string, token = 'bridge-token'): Promise<UpstashBridge> {
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const handlers: { serve?: UpstashBridge['serve'] } = {};
    const server = createServer((request, response) => void handlers.serve?.(request, response));
    const bridge = new UpstashBridge(server, redis, token);
    handlers.serve = (request, response) => bridge.serve(request, response);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return bridge;
  }

  /** The REST URL to give `new Redis({ url, token })`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** All requests served so far, whatever their path. */
  get total(): number {
    return Object.values(this.requests).reduce((sum, count) => sum + count, 0);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    this.redis.disconnect();
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0] as BridgePath;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const reply = (status: number, body: unknown): void => {
      this.syncToken += 1;
      response.writeHead(status, { 'content-type': 'application/json', 'upstash-sync-token': String(this.syncToken) });
      response.end(JSON.stringify(body));
    };
    if (!PATHS.includes(path)) return reply(404, { error: 'Not Found' });
    this.requests[path] += 1;
    if (request.method !== 'POST') return reply(405, { error: 'Method Not Allowed' });
    if (!this.authorised(request.headers.authorization)) return reply(401, { error: 'Unauthorized' });
    const encode = String(request.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    const envelope = (result: unknown): Envelope => ({ result: encode ? base64(result) : result });

    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return reply(400, { error: 'ERR failed to parse the request body as JSON' });
    }
    if (path === '/') {
      if (!isCommand(body)) return reply(400, { error: 'ERR the body must be a command array' });
      try {
        return reply(200, envelope(await this.send(body)));
      } catch (error) {
        return reply(400, { error: message(error) });
      }
    }
    if (!Array.isArray(body) || body.length === 0 || !body.every(isCommand)) {
      return reply(400, { error: 'ERR the body must be an array of command arrays' });
    }
    if (path === '/pipeline') {
      const results: Envelope[] = [];
      for (const command of body) {
        try {
          results.push(envelope(await this.send(command)));
        } catch (error) {
          results.push({ error: message(error) });
        }
      }
      return reply(200, results);
    }
    try {
      const transaction = this.redis.multi();
      for (const command of body) {
        const [name, ...args] = command.map(String);
        transaction.call(name!, ...args);
      }
      const answers = (await transaction.exec()) ?? [];
      return reply(
        200,
        answers.map(([error, result]) => (error ? { error: message(error) } : envelope(result))),
      );
    } catch (error) {
      return reply(400, { error: message(error) });
    }
  }

  private send(command: Command): Promise<unknown> {
    const [name, ...args] = command.map(String);
    return this.redis.call(name!, ...args);
  }

  private authorised(header: string | undefined): boolean {
    const expected = Buffer.from(`Bearer ${this.token}`);
    const given = Buffer.from(header ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
