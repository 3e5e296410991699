import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { Endpoint, ComponentStatus } from '../components.js';
import type { HttpServers, SharedHttpServer } from '../http/servers.js';
import type { Metrics } from '../metrics.js';
import { decideRole, type AuthOptions, type Role } from '../auth.js';

/** What an endpoint kind needs from the host; a plugin's `api` has all of it. */
export interface EndpointDeps {
  name: string;
  http: HttpServers;
  metrics: Metrics;
  logger: Logger;
}

export interface WsClientInfo {
  id: string;
  remote: string;
  role: Role;
  req: IncomingMessage;
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
  private unroute: (() => void) | undefined;
  private started = false;
  private readonly gauge;

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
  }

  get owner(): string {
    return `${this.deps.name}/${this.name}`;
  }

  async start(): Promise<void> {
    this.unroute = this.server.addRoute({
      path: this.path,
      owner: this.owner,
      upgrade: (req, socket, head) => {
        const decision = decideRole(req, this.options.auth ?? {}, this.server.listen.host);
        if (!decision.role) {
          socket.end(`HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${decision.refused}\n`);
          this.deps.logger.warn({ remote: req.socket.remoteAddress, endpoint: this.owner }, `connection refused: ${decision.refused}`);
          return;
        }
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          const info: WsClientInfo = { id: `${this.name}-${++nextClientId}`, remote: req.socket.remoteAddress ?? '?', role: decision.role!, req };
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
    try {
      await this.server.open(this.owner);
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
    for (const ws of this.wss.clients) ws.close(1001, 'server shutting down');
    const closing = [...this.wss.clients].map(
      (ws) => new Promise<void>((resolve) => {
        const t = setTimeout(() => { ws.terminate(); resolve(); }, 500);
        ws.once('close', () => { clearTimeout(t); resolve(); });
      }),
    );
    await Promise.all(closing);
    this.unroute?.();
    this.unroute = undefined;
    await this.server.release();
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
