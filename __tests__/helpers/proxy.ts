/**
 * A small HTTP load balancer for fault tests, on loopback: the webhook endpoint
 * PiAPI is given stays valid while the app instances behind it die and restart.
 * Like nginx's default `proxy_next_upstream error`, a request whose backend
 * refuses the connection goes to the next backend; a backend that fails once it
 * has the request, or no backend at all, gets `502`, which PiAPI retries.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export class Proxy {
  /** The backends' ports, in round-robin order. Change it at will. */
  backends: number[] = [];
  private next = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<Proxy> {
    const server = createServer();
    const proxy = new Proxy(server);
    server.on('request', (req, res) => void proxy.forward(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const order = this.backends.map((_, i) => this.backends[(this.next + i) % this.backends.length] as number);
    this.next += 1;
    for (const port of order) {
      const answered = await this.tryBackend(port, req, body, res);
      if (answered) return;
    }
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'bad_gateway' }));
  }

  /** True once it has answered (or failed after sending the request); false when the backend refused the connection. */
  private tryBackend(port: number, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      let connected = false;
      const upstream = request({
        host: '127.0.0.1',
        port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: false,
      });
      upstream.on('socket', (socket) => socket.once('connect', () => (connected = true)));
      upstream.on('response', (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', () => resolve(true));
        answer.on('error', () => {
          res.destroy();
          resolve(true);
        });
      });
      upstream.on('error', () => {
        if (!connected) return resolve(false);
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'bad_gateway' }));
        resolve(true);
      });
      upstream.end(body);
    });
  }
}
