import { createConnection, createServer, type Server, type Socket as NetSocket } from 'node:net';

/**
 * A TCP proxy in front of a server (PostgreSQL, Redis) that the test can cut and restore on the same port,
 * as a network partition or a restart of that server looks to Parley.
 */
export class CuttableProxy {
  private server: Server | undefined;
  private readonly connections = new Set<NetSocket>();
  private readonly replies = new Set<{ upstream: NetSocket; client: NetSocket }>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
      for (const socket of [client, upstream]) {
        this.connections.add(socket);
        socket.on('close', () => this.connections.delete(socket));
        socket.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      const reply = { upstream, client };
      this.replies.add(reply);
      client.on('close', () => this.replies.delete(reply));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (typeof address === 'object' && address) this.port = address.port;
    this.server = server;
  }

  /**
   * From now on the open connections carry nothing back from the target (what it sends waits
   * unread), while what the clients send still reaches it: a request is carried out, its answer lost.
   */
  muteReplies(): void {
    for (const { upstream, client } of this.replies) upstream.unpipe(client);
  }

  /** Stops listening and drops every open connection at once. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
    await closed;
  }
}

/** The same server as `url` (a database or Redis URL), reached through `port` on 127.0.0.1. */
export function throughPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}
