import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy the tests can break: `pass` forwards, `refuse` closes every
 * connection at once, `blackhole` accepts connections and forwards nothing
 * (a hung network), `stall` keeps open connections open but drops their data
 * (a network that dies mid-query). `cut()` destroys open connections except
 * when stalling.
 */
export class TcpProxy {
  mode: 'pass' | 'refuse' | 'blackhole' | 'stall' = 'pass';
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  port = 0;

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.mode === 'refuse') return void client.destroy();
    if (this.mode !== 'pass') return; // hold it open, say nothing
    const upstream = createConnection(this.targetPort, this.targetHost);
    this.track(upstream);
    client.on('data', (d) => this.mode === 'pass' && upstream.write(d));
    upstream.on('data', (d) => this.mode === 'pass' && client.write(d));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** Breaks every open connection and handles new ones by `mode`. */
  cut(mode: 'refuse' | 'blackhole' | 'stall'): void {
    this.mode = mode;
    if (mode !== 'stall') for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.mode = 'pass';
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
