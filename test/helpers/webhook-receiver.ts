import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The status it was answered with. */
  status: number;
}

/**
 * A local HTTP server standing for a webhook receiver or a push service: records every request and
 * answers each with the next of `statuses` (then 200 for ever), after `answerDelayMs`. It can be
 * stopped and started again on the same port, as a receiver that dies and comes back.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  statuses: number[] = [];
  /** How long it takes to answer each request, in ms: a slow receiver keeps deliveries in flight. */
  answerDelayMs = 0;
  private server: Server | undefined;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const status = this.statuses.shift() ?? 200;
        this.requests.push({
          method: request.method ?? '',
          path: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks),
          status,
        });
        setTimeout(() => {
          response.writeHead(status, { 'content-type': 'text/plain' });
          response.end('ok');
        }, this.answerDelayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Closes the server and every connection to it. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The JSON bodies received, in arrival order. */
  bodies<T = any>(): T[] {
    return this.requests.map((request) => JSON.parse(request.body.toString('utf8')) as T);
  }
}
