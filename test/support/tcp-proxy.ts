import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy a test can cut: services connect to `127.0.0.1:<port>` instead of the real dependency.
 * `cut()` resets every open connection and resets each new one at once (clients see ECONNRESET, as when a
 * database restarts or a network link drops), until `restore()`.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private cutSince?: number;
  /** Connections reset while cut (open ones and attempts). */
  resetConnections = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy!.accept(client, target));
    const port = await new Promise<number>((done, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => done((server.address() as { port: number }).port));
    });
    proxy = new TcpProxy(server, port);
    return proxy;
  }

  get isCut(): boolean {
    return this.cutSince !== undefined;
  }

  /** Drops every connection and refuses new ones until restore(). */
  cut(): void {
    this.cutSince = Date.now();
    for (const socket of this.sockets) this.reset(socket);
  }

  /** Lets connections through again; returns how long the link was cut (ms). */
  restore(): number {
    const cutMs = this.cutSince === undefined ? 0 : Date.now() - this.cutSince;
    this.cutSince = undefined;
    return cutMs;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    if (this.isCut) return this.reset(client);
    const upstream = createConnection(target);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined); // the other side is closed below
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  private reset(socket: Socket): void {
    this.resetConnections++;
    socket.on('error', () => undefined);
    socket.resetAndDestroy();
  }
}
