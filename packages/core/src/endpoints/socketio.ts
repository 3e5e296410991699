import { Server as EngineServer } from 'engine.io';
import { Server as IoServer, type ServerOptions, type Socket } from 'socket.io';
import type { Endpoint, ComponentStatus } from '../components.js';
import type { SharedHttpServer } from '../http/servers.js';
import type { EndpointDeps } from './ws.js';

export interface SocketIoEndpointOptions {
  name: string;
  host?: string;
  port: number;
  /** Share this HTTP server instead of acquiring one by host:port (e.g. several endpoints on one ephemeral port). */
  server?: SharedHttpServer;
  /** Default `/socket.io/`. */
  path?: string;
  cors?: ServerOptions['cors'];
  /** Default ['polling', 'websocket']. */
  transports?: ServerOptions['transports'];
  /** Called once the io server exists, before it accepts connections: attach handlers here. */
  setup?(io: IoServer): void;
  onConnection?(socket: Socket, io: IoServer): void;
  onStop?(): void | Promise<void>;
  status?(): ComponentStatus;
}

/**
 * The socket.io endpoint kind. The engine is bound to a shared HTTP server's path (not attached to
 * the server), so socket.io can share a port with other endpoints and stop without closing it.
 */
export class SocketIoEndpoint implements Endpoint {
  readonly kind = 'socket.io';
  readonly name: string;
  readonly io: IoServer;
  private readonly engine: EngineServer;
  private readonly server: SharedHttpServer;
  private readonly path: string;
  private unroute: (() => void) | undefined;
  private started = false;

  constructor(private readonly deps: EndpointDeps, private readonly options: SocketIoEndpointOptions) {
    this.name = options.name;
    this.path = normalizePath(options.path ?? '/socket.io/');
    this.server = options.server ?? deps.http.acquire({ host: options.host ?? '127.0.0.1', port: options.port });
    const transports = options.transports ?? ['polling', 'websocket'];
    this.io = new IoServer({ path: this.path.replace(/\/$/, ''), serveClient: false, cors: options.cors, transports });
    this.engine = new EngineServer({
      cors: options.cors as never,
      transports: transports as never,
      perMessageDeflate: false,
      httpCompression: false,
    });
    this.io.bind(this.engine as never);
    const gauge = deps.metrics.clients.labels(`${deps.name}/${options.name}`);
    this.io.on('connection', (socket) => {
      gauge.inc();
      socket.once('disconnect', () => gauge.dec());
      options.onConnection?.(socket, this.io);
    });
    options.setup?.(this.io);
  }

  async start(): Promise<void> {
    this.unroute = this.server.addRoute({
      path: this.path,
      prefix: true,
      owner: `${this.deps.name}/${this.name}`,
      request: (req, res) => this.engine.handleRequest(req as never, res as never),
      upgrade: (req, socket, head) => this.engine.handleUpgrade(req as never, socket as never, head),
    });
    try {
      await this.server.open(`${this.deps.name}/${this.name}`);
    } catch (err) {
      this.unroute();
      this.unroute = undefined;
      throw err;
    }
    this.started = true;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.options.onStop?.();
    await this.io.close();
    this.unroute?.();
    this.unroute = undefined;
    await this.server.release();
  }

  urls(): string[] {
    return [this.server.url('http', this.path)];
  }

  clients(): number {
    return this.io.of('/').sockets.size;
  }

  status(): ComponentStatus {
    return this.options.status?.() ?? { state: this.started ? 'running' : 'stopped', clients: this.clients() };
  }
}

export interface ClientBacklog {
  /** Bytes the websocket holds, handed to it but not yet to the OS (0 for long-polling). */
  bufferedBytes: number;
  /** Bytes of packets waiting in engine.io's queue for the transport. */
  queuedBytes: number;
}

/**
 * What one client's connection holds in this process. Neither socket.io nor engine.io offers this
 * figure, so it is read from engine.io's internals, here and nowhere else: the websocket
 * transport's `socket` (a `ws` WebSocket, whose `bufferedAmount` is public) and the connection's
 * `writeBuffer`. Both are private in engine.io's types; if a version renames them this reads 0.
 * Cheap enough for status, but keep it off per-message paths.
 */
export function clientBacklog(socket: Socket): ClientBacklog {
  const ws = (socket.conn.transport as unknown as { socket?: { bufferedAmount?: number } }).socket;
  const queue = (socket.conn as unknown as { writeBuffer?: Array<{ data?: string | Buffer }> }).writeBuffer ?? [];
  let queuedBytes = 0;
  for (const packet of queue) queuedBytes += packet.data?.length ?? 0;
  return { bufferedBytes: ws?.bufferedAmount ?? 0, queuedBytes };
}

function normalizePath(p: string): string {
  let s = p.startsWith('/') ? p : `/${p}`;
  if (!s.endsWith('/')) s += '/';
  return s;
}

export function createSocketIoEndpoint(deps: EndpointDeps, options: SocketIoEndpointOptions): SocketIoEndpoint {
  return new SocketIoEndpoint(deps, options);
}
