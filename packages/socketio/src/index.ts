import { createRequire } from 'node:module';
import type { Server as EngineServer } from 'engine.io';
import type { Server as IoServer, ServerOptions, Socket } from 'socket.io';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import {
  decideRole,
  DEFAULT_BOUNDS,
  PeerLink,
  Refusals,
  refuseUpgrade,
  type AuthOptions,
  type Bounds,
  type ComponentStatus,
  type Endpoint,
  type EndpointDeps,
  type EndpointKind,
  type Peer,
  type Role,
  type SharedHttpServer,
} from '@acgateway/core';

export interface SocketIoEndpointOptions {
  name: string;
  host?: string;
  port: number;
  /** Share this HTTP server instead of acquiring one by host:port (e.g. several endpoints on one ephemeral port). */
  server?: SharedHttpServer;
  /** Default `/socket.io/`. */
  path?: string;
  /**
   * Tokens and allowed browser origins, by the same rule as every endpoint. CORS answers follow
   * `allowedOrigins` (default: the host's `server.allowedOrigins`). The role of a connection is in
   * `socket.data.role`.
   */
  auth?: AuthOptions;
  /** A client's bounds over engine.io's queue plus the websocket's: busy above `highWaterBytes`, disconnected above `maxBufferedBytes` (default 8 MiB). */
  backpressure?: Partial<Bounds>;
  /** Default ['polling', 'websocket']. */
  transports?: ServerOptions['transports'];
  /** Called once the io server exists, before it accepts connections: attach handlers here. */
  setup?(io: IoServer): void;
  /** A new client, with its link: `link.offer(encodeSocketIoEvent(...))` for frames a newer one replaces, `link.send` for the rest. */
  onConnection?(socket: Socket, io: IoServer, link: PeerLink): void;
  onStop?(): void | Promise<void>;
  status?(): ComponentStatus;
}

/**
 * socket.io and engine.io are loaded when the first socket.io endpoint is made: a gateway without one
 * (most configs) neither spends their load time at start nor holds them in memory.
 */
let loaded: { IoServer: typeof IoServer; EngineServer: typeof EngineServer } | undefined;
function loadSocketIo() {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    loaded = { IoServer: (require('socket.io') as typeof import('socket.io')).Server, EngineServer: (require('engine.io') as typeof import('engine.io')).Server };
  }
  return loaded;
}

/**
 * The socket.io endpoint kind: `api.addEndpoint(api.endpoints.of(socketIo({ name, port, ... })))`.
 * The engine is bound to a shared HTTP server's path (not attached to
 * the server), so socket.io can share a port with other endpoints and stop without closing it.
 */
export class SocketIoEndpoint implements Endpoint {
  readonly kind = 'socket.io';
  readonly name: string;
  readonly io: IoServer;
  private readonly engine: EngineServer;
  private readonly server: SharedHttpServer;
  private readonly path: string;
  private unserve: (() => Promise<void>) | undefined;
  private started = false;
  private readonly allowedOrigins: readonly string[];
  private readonly refusals: Refusals;

  constructor(private readonly deps: EndpointDeps, private readonly options: SocketIoEndpointOptions) {
    this.name = options.name;
    this.path = normalizePath(options.path ?? '/socket.io/');
    this.server = options.server ?? deps.http.acquire({ host: options.host ?? '127.0.0.1', port: options.port });
    const transports = options.transports ?? ['polling', 'websocket'];
    this.allowedOrigins = options.auth?.allowedOrigins ?? deps.allowedOrigins ?? [];
    this.refusals = new Refusals(deps, `${deps.name}/${options.name}`);
    // Cross-origin polling needs CORS headers for the pages that are allowed; the own page is same-origin.
    const cors = this.allowedOrigins.length ? { origin: this.allowedOrigins.includes('*') ? true : [...this.allowedOrigins] } : undefined;
    const { IoServer, EngineServer } = loadSocketIo();
    this.io = new IoServer({ path: this.path.replace(/\/$/, ''), serveClient: false, cors, transports });
    this.engine = new EngineServer({
      cors: cors as never,
      transports: transports as never,
      perMessageDeflate: false,
      httpCompression: false,
      // The websocket transport runs on the `ws` the rest of the gateway uses (engine.io pins an
      // older minor of its own): one set of protocol limits and fixes for every endpoint.
      wsEngine: WebSocketServer,
    });
    this.io.bind(this.engine as never);
    const gauge = deps.metrics.clients.labels(`${deps.name}/${options.name}`);
    const bounds: Bounds = { ...DEFAULT_BOUNDS, ...options.backpressure };
    this.io.on('connection', (socket) => {
      const data = socket.data as SocketIoClientData;
      data.role = this.admit(socket.request).role ?? 'read';
      const peer = socketIoPeer(socket);
      const link = new PeerLink(peer, bounds, deps.logger.child({ endpoint: this.owner, remote: socket.handshake.address }));
      data.link = link;
      // What socket.io itself queues (an emit straight on the socket) counts against the same bound.
      (socket.conn as unknown as { on(e: 'packetCreate', f: () => void): void }).on('packetCreate', () => {
        const heldBytes = peer.buffered();
        if (heldBytes <= bounds.maxBufferedBytes || link.closed) return;
        deps.logger.debug({ id: socket.id, heldBytes }, 'socket.io backlog over the bound');
        link.close(`more than ${bounds.maxBufferedBytes} bytes unsent`);
      });
      gauge.inc();
      socket.once('disconnect', () => {
        gauge.dec();
        data.link!.dispose();
      });
      options.onConnection?.(socket, this.io, data.link);
    });
    options.setup?.(this.io);
  }

  get owner(): string {
    return `${this.deps.name}/${this.name}`;
  }

  private admit(req: IncomingMessage) {
    return decideRole(req, { ...this.options.auth, allowedOrigins: this.allowedOrigins }, this.server.listen.host);
  }

  /**
   * Every request is checked for its page's origin; the token only on a handshake (a request with
   * a session id belongs to a connection already admitted).
   */
  private refused(req: IncomingMessage): { status: 401 | 403; why: string } | undefined {
    const decision = this.admit(req);
    if (decision.role) return undefined;
    const handshake = !new URL(req.url ?? '/', 'http://x').searchParams.has('sid');
    if (decision.status === 401 && !handshake) return undefined;
    const status = decision.status ?? 401;
    this.refusals.report(req, status, decision.refused ?? 'refused');
    return { status, why: decision.refused ?? 'refused' };
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const no = this.refused(req);
    if (!no) return void this.engine.handleRequest(req as never, res as never);
    res.writeHead(no.status, { 'content-type': 'text/plain' });
    res.end(`${no.why}\n`);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const no = this.refused(req);
    if (!no) return void this.engine.handleUpgrade(req as never, socket as never, head);
    refuseUpgrade(socket, no.status, no.why);
  }

  async start(): Promise<void> {
    this.unserve = await this.server.serve({
      path: this.path,
      prefix: true,
      owner: this.owner,
      request: (req, res) => this.onRequest(req, res),
      upgrade: (req, socket, head) => this.onUpgrade(req, socket, head),
    });
    this.started = true;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.options.onStop?.();
    await this.io.close();
    await this.unserve?.();
    this.unserve = undefined;
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

/** What the endpoint keeps on each socket (`socket.data`). */
export interface SocketIoClientData {
  role?: Role;
  link?: PeerLink;
}

/**
 * A socket.io event as it goes on the wire in the default namespace (`2["event",...args]`, which
 * engine.io sends as `42[...]`), encoded once and written to many clients. Text arguments only.
 */
export function encodeSocketIoEvent(event: string, ...args: unknown[]): string {
  return `2${JSON.stringify([event, ...args])}`;
}

/**
 * A socket.io client as a fan-out Peer: frames are encoded socket.io packets written to its
 * engine.io connection. What waits in engine.io's queue is counted as packets are made and reset
 * when the queue is flushed (engine.io flushes it whole), so the figure costs nothing per frame;
 * the websocket's own buffer is added (0 while long-polling).
 */
export function socketIoPeer(socket: Socket): Peer {
  const conn = socket.conn as unknown as {
    write(data: string): void;
    close(discard?: boolean): void;
    on(e: 'packetCreate', f: (p: { data?: string | Buffer }) => void): void;
    on(e: 'flush', f: () => void): void;
  };
  let queued = 0;
  conn.on('packetCreate', (p) => void (queued += p.data?.length ?? 0));
  conn.on('flush', () => void (queued = 0));
  return {
    id: socket.id,
    buffered() {
      const ws = (socket.conn.transport as unknown as { socket?: { bufferedAmount?: number } }).socket;
      return queued + (ws?.bufferedAmount ?? 0);
    },
    write: (frame) => conn.write(typeof frame === 'string' ? frame : frame.toString()),
    end() {
      socket.disconnect(true);
      // engine.io waits for its queue to drain before closing a websocket; a client that never reads never drains it.
      conn.close(true);
    },
  };
}

function normalizePath(p: string): string {
  let s = p.startsWith('/') ? p : `/${p}`;
  if (!s.endsWith('/')) s += '/';
  return s;
}

/** The socket.io endpoint kind with these options, for `api.endpoints.of(...)`: the endpoint is bound to the calling plugin. */
export function socketIo(options: SocketIoEndpointOptions): EndpointKind<SocketIoEndpoint> {
  return (deps) => new SocketIoEndpoint(deps, options);
}
