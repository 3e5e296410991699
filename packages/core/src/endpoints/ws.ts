import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { Endpoint, ComponentStatus } from '../components.js';
import type { HttpServers, SharedHttpServer } from '../http/servers.js';
import type { Metrics } from '../metrics.js';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { RateLimitedLog } from '../logger.js';
import { DEFAULT_BOUNDS, PeerLink, type Bounds, type Peer } from '../fanout.js';
import { decideRole, type AuthOptions, type Role } from '../auth.js';

/** What the host gives an endpoint kind: the owning plugin's name and logger, the shared HTTP servers, the client gauges. */
export interface EndpointDeps {
  name: string;
  http: HttpServers;
  metrics: Metrics;
  logger: Logger;
  /** The host's `server.allowedOrigins`: the default of an endpoint that sets none of its own. */
  allowedOrigins?: readonly string[];
}

/** An endpoint kind from outside the core (e.g. `@acgateway/socketio`'s `socketIo(options)`): built by `api.endpoints.of(kind)`. */
export type EndpointKind<E extends Endpoint = Endpoint> = (deps: EndpointDeps) => E;

export interface WsClientInfo {
  id: string;
  remote: string;
  role: Role;
  req: IncomingMessage;
  /**
   * The client behind its bound: `link.send(frame)` for what must arrive (replies, events),
   * `link.offer(frame)` for what a newer frame replaces; a client that stops reading while frames pile
   * up past `maxBufferedBytes` is closed with 1008 and a reason.
   */
  link: PeerLink;
}

/** Close code for a client dropped for not reading (RFC 6455 1008, policy violation). */
export const CLOSE_TOO_SLOW = 1008;

/** Counts (`bad_input{kind="foreign_origin"|"bad_token"}`) and logs, rate-limited, the connections an endpoint refuses. */
export class Refusals {
  private readonly log = new RateLimitedLog(5000);

  constructor(
    private readonly deps: EndpointDeps,
    private readonly endpoint: string,
  ) {}

  report(req: IncomingMessage, status: 401 | 403, why: string): void {
    this.deps.metrics.badInput.labels(this.deps.name, status === 403 ? 'foreign_origin' : 'bad_token').inc();
    this.log.log(String(status), (suppressed) =>
      this.deps.logger.warn({ remote: req.socket.remoteAddress, origin: req.headers.origin, endpoint: this.endpoint, suppressed }, `connection refused (${status}): ${why}`),
    );
  }
}

/** Answers an upgrade request with the refusal, before any websocket exists. */
export function refuseUpgrade(socket: Duplex, status: 401 | 403, why: string): void {
  socket.end(`HTTP/1.1 ${status === 403 ? '403 Forbidden' : '401 Unauthorized'}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${why}\n`);
}

/** Frames this small are batched per tick; a bigger one is its own batch (the syscall is amortized). */
const BATCH_BELOW_BYTES = 16 * 1024;

/** Sockets whose writes are held until the current tick's synchronous work is done. */
const corkedSockets: Socket[] = [];

function uncorkAll(): void {
  for (const socket of corkedSockets) socket.uncork();
  corkedSockets.length = 0;
}

/**
 * After a client's first small frame in a tick, hold its later frames until the tick ends, so a
 * burst (many topics at once, or flat-out publishing) leaves in one writev instead of one syscall
 * per frame. A lone frame is written at once: 60 Hz single-topic latency is unchanged. Held bytes
 * count in bufferedAmount, so the bounds still see them. `ws` has no public cork: the socket's own.
 */
function holdRestOfTick(socket: Socket): void {
  if (socket.writableCorked > 0) return;
  socket.cork();
  if (corkedSockets.push(socket) === 1) process.nextTick(uncorkAll);
}

/** The net.Socket under a `ws` connection (`ws` has no public accessor). */
function socketOf(ws: WebSocket): Socket | undefined {
  return (ws as unknown as { _socket?: Socket })._socket;
}

const framed = new WeakMap<Buffer, Buffer>();

/**
 * A whole websocket text frame, header and payload in one buffer (RFC 6455 5.2: FIN, opcode 1, a
 * server's frames unmasked), built once per payload and shared by every client: a client's send is
 * then one buffer to its socket, not `ws` building a header and writing two (about 1 µs a client).
 */
function textFrame(payload: Buffer): Buffer {
  let frame = framed.get(payload);
  if (!frame) {
    const n = payload.length;
    const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
    frame = Buffer.allocUnsafe(head + n);
    frame[0] = 0x81;
    if (n < 126) frame[1] = n;
    else if (n < 65536) {
      frame[1] = 126;
      frame.writeUInt16BE(n, 2);
    } else {
      frame[1] = 127;
      frame.writeBigUInt64BE(BigInt(n), 2);
    }
    payload.copy(frame, head);
    framed.set(payload, frame);
  }
  return frame;
}

/**
 * A `ws` connection as a fan-out Peer: text frames (a Buffer is sent as text), batched per tick. A
 * class, not an object of closures: its methods sit on one prototype, so the fan-out's per-client
 * calls stay monomorphic and inline (closures cost ~0.3 µs per delivery at 1000 clients).
 */
class WsPeer implements Peer {
  /**
   * No extension negotiated (no permessage-deflate): `ws` then writes every frame to the socket at
   * once and queues nothing, so a frame built here and written to the socket keeps the order, and
   * bufferedAmount counts it. Settled at the handshake, before the connection is handed over.
   */
  private readonly direct: boolean;

  constructor(
    private readonly ws: WebSocket,
    readonly id: string,
  ) {
    this.direct = ws.extensions === '';
  }

  buffered(): number {
    return this.ws.bufferedAmount;
  }

  write(frame: string | Buffer): void {
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN) return;
    const socket = socketOf(ws);
    if (socket && this.direct && typeof frame !== 'string') socket.write(textFrame(frame));
    else ws.send(frame, TEXT);
    if (socket && frame.length < BATCH_BELOW_BYTES) holdRestOfTick(socket);
  }

  end(reason: string): void {
    const ws = this.ws;
    ws.close(CLOSE_TOO_SLOW, reason.slice(0, 120));
    // A client that reads nothing will not complete the closing handshake either.
    setTimeout(() => ws.terminate(), 1000).unref();
  }
}

/** `ws` copies the options it is given: one object serves every send. */
const TEXT = { binary: false } as const;

export function wsPeer(ws: WebSocket, id: string): Peer {
  return new WsPeer(ws, id);
}

export interface WsEndpointOptions {
  name: string;
  host?: string;
  port: number;
  /** Share this HTTP server instead of acquiring one by host:port (e.g. several endpoints on one ephemeral port). */
  server?: SharedHttpServer;
  path?: string;
  /** Largest frame accepted from a client, bytes (default 64 KiB); a bigger one closes with 1009. */
  maxPayload?: number;
  /** Off by default: on small telemetry it costs ten times the CPU. */
  perMessageDeflate?: boolean;
  auth?: AuthOptions;
  /** A client's bounds: busy above `highWaterBytes`, closed above `maxBufferedBytes` (default 8 MiB) or when stalled. */
  backpressure?: Partial<Bounds>;
  /** Answers a plain HTTP request on the path (default: 426, "connect with ws://"). */
  request?(req: IncomingMessage, res: ServerResponse): void;
  onConnection(ws: WebSocket, client: WsClientInfo): void;
  /** Called before the server closes, e.g. to stop timers. */
  onStop?(): void | Promise<void>;
  status?(): ComponentStatus;
}

let nextClientId = 0;

/** The websocket endpoint kind: a `ws` server on a shared HTTP server's path. */
export class WsEndpoint implements Endpoint {
  readonly kind = 'ws';
  readonly name: string;
  readonly wss: WebSocketServer;
  private readonly server: SharedHttpServer;
  private readonly path: string;
  private unserve: (() => Promise<void>) | undefined;
  private started = false;
  private readonly gauge;
  private readonly refusals: Refusals;
  private readonly bounds: Bounds;

  constructor(private readonly deps: EndpointDeps, private readonly options: WsEndpointOptions) {
    this.name = options.name;
    this.path = options.path ?? '/';
    this.server = options.server ?? deps.http.acquire({ host: options.host ?? '127.0.0.1', port: options.port });
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload ?? 64 * 1024,
      perMessageDeflate: options.perMessageDeflate ?? false,
    });
    this.gauge = deps.metrics.clients.labels(`${deps.name}/${options.name}`);
    this.bounds = { ...DEFAULT_BOUNDS, ...options.backpressure };
    this.refusals = new Refusals(deps, `${deps.name}/${options.name}`);
  }

  private clientInfo(ws: WebSocket, req: IncomingMessage, role: Role): WsClientInfo {
    const id = `${this.name}-${++nextClientId}`;
    const remote = req.socket.remoteAddress ?? '?';
    const link = new PeerLink(wsPeer(ws, id), this.bounds, this.deps.logger.child({ endpoint: this.owner, remote }));
    ws.once('close', () => link.dispose());
    return { id, remote, role, req, link };
  }

  get owner(): string {
    return `${this.deps.name}/${this.name}`;
  }

  async start(): Promise<void> {
    this.unserve = await this.server.serve({
      path: this.path,
      owner: this.owner,
      upgrade: (req, socket, head) => {
        const decision = decideRole(req, { ...this.options.auth, allowedOrigins: this.options.auth?.allowedOrigins ?? this.deps.allowedOrigins }, this.server.listen.host);
        if (!decision.role) {
          const status = decision.status ?? 401;
          this.refusals.report(req, status, decision.refused ?? 'refused');
          refuseUpgrade(socket, status, decision.refused ?? 'refused');
          return;
        }
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          const info = this.clientInfo(ws, req, decision.role!);
          this.gauge.inc();
          ws.once('close', () => this.gauge.dec());
          // An error on one client's socket (a bad frame, an oversized payload) concerns that client only.
          ws.on('error', (err) => this.deps.logger.debug({ client: info.id, err: err.message }, 'websocket client error'));
          this.options.onConnection(ws, info);
        });
      },
      request: this.options.request ?? ((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
        res.end(`${this.owner} is a websocket endpoint: connect with ws://\n`);
      }),
    });
    this.started = true;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.options.onStop?.();
    for (const ws of this.wss.clients) ws.close(1001, 'server shutting down');
    const closing = [...this.wss.clients].map(
      (ws) => new Promise<void>((resolve) => {
        const t = setTimeout(() => { ws.terminate(); resolve(); }, 500);
        ws.once('close', () => { clearTimeout(t); resolve(); });
      }),
    );
    await Promise.all(closing);
    await this.unserve?.();
    this.unserve = undefined;
  }

  urls(): string[] {
    return [this.server.url('ws', this.path)];
  }

  clients(): number {
    return this.wss.clients.size;
  }

  status(): ComponentStatus {
    return this.options.status?.() ?? { state: this.started ? 'running' : 'stopped', clients: this.clients() };
  }
}

export function createWsEndpoint(deps: EndpointDeps, options: WsEndpointOptions): WsEndpoint {
  return new WsEndpoint(deps, options);
}
