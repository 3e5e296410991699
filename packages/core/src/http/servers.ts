import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { AcgError } from '../errors.js';

export interface Route {
  /** A path such as `/`, `/health`, `/socket.io/`. */
  path: string;
  /** Match every path below it too (`/socket.io/` serves `/socket.io/?EIO=4...` and its sub-paths). */
  prefix?: boolean;
  /** Who owns it, for error messages: `plugin/endpoint`. */
  owner: string;
  request?: (req: IncomingMessage, res: ServerResponse) => void;
  upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

export interface Listen {
  host: string;
  port: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/**
 * One HTTP server per host:port, shared by every endpoint on that port and routed by path, so the
 * gateway websocket, /health, /metrics and a plugin's own endpoint can live on one port.
 */
export class SharedHttpServer {
  readonly server: http.Server;
  private readonly routes: Route[] = [];
  private users = 0;
  private listening: Promise<void> | undefined;
  /** Every open socket, upgraded ones included, so a stop can end those a client never lets close. */
  private readonly sockets = new Set<Duplex>();

  constructor(readonly listen: Listen) {
    this.server = http.createServer((req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    // Idle keep-alive sockets must not hold a stop for seconds.
    this.server.keepAliveTimeout = 2000;
  }

  get key(): string {
    return `${this.listen.host}:${this.listen.port}`;
  }

  /** The bound port (the requested one, or the ephemeral one after listen with port 0). */
  get port(): number {
    const a = this.server.address() as AddressInfo | null;
    return a ? a.port : this.listen.port;
  }

  url(scheme: 'http' | 'ws', path: string): string {
    const host = this.listen.host.includes(':') ? `[${this.listen.host}]` : this.listen.host;
    const shown = host === '0.0.0.0' || host === '[::]' ? 'localhost' : host;
    return `${scheme}://${shown}:${this.port}${path}`;
  }

  addRoute(route: Route): () => void {
    const clash = this.routes.find((r) => r.path === route.path || (r.prefix && route.path.startsWith(r.path)) || (route.prefix && r.path.startsWith(route.path)));
    if (clash) {
      throw new AcgError(
        'ROUTE_TAKEN',
        `path ${route.path} on ${this.key} is wanted by ${route.owner} but already served by ${clash.owner}`,
      );
    }
    this.routes.push(route);
    return () => {
      const i = this.routes.indexOf(route);
      if (i >= 0) this.routes.splice(i, 1);
    };
  }

  /**
   * Adds a route and starts listening (or shares the listening server); on failure the route is
   * gone again. Resolves to the function that ends it: the route goes, and one use is released.
   */
  async serve(route: Route): Promise<() => Promise<void>> {
    const unroute = this.addRoute(route);
    try {
      await this.open(route.owner);
    } catch (err) {
      unroute();
      throw err;
    }
    return async () => {
      unroute();
      await this.release();
    };
  }

  routeList(): string[] {
    return this.routes.map((r) => `${r.path}${r.prefix ? '*' : ''} (${r.owner})`);
  }

  /** Starts listening on first use; later users share it. */
  async open(owner: string): Promise<void> {
    this.users++;
    if (!this.listening) {
      this.listening = new Promise<void>((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException) => {
          this.server.off('listening', onListening);
          this.listening = undefined;
          if (err.code === 'EADDRINUSE') {
            reject(new AcgError('PORT_IN_USE', `port ${this.listen.port} on ${this.listen.host} is already in use (wanted by ${owner}); stop what uses it or pick another port`, { cause: err }));
          } else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
            reject(new AcgError('BAD_HOST', `cannot listen on ${this.listen.host}:${this.listen.port} (wanted by ${owner}): ${err.message}`, { cause: err }));
          } else {
            reject(new AcgError('LISTEN_FAILED', `cannot listen on ${this.key} (wanted by ${owner}): ${err.message}`, { cause: err }));
          }
        };
        const onListening = () => {
          this.server.off('error', onError);
          resolve();
        };
        this.server.once('error', onError);
        this.server.once('listening', onListening);
        this.server.listen(this.listen.port, this.listen.host);
      });
    }
    try {
      await this.listening;
    } catch (err) {
      this.users--;
      throw err;
    }
  }

  /**
   * Releases one use; the last one closes the server. Returns true when it closed. Connections still
   * open after `graceMs` (a websocket whose client stopped reading never finishes its closing
   * handshake) are destroyed, so a stop cannot hang on a client.
   */
  async release(graceMs = 1000): Promise<boolean> {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0 || !this.listening) return false;
    this.listening = undefined;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      setTimeout(() => {
        for (const socket of this.sockets) socket.destroy();
      }, graceMs).unref();
    });
    return true;
  }

  private find(req: IncomingMessage): Route | undefined {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    return this.routes.find((r) => r.path === path || (r.prefix && (path.startsWith(r.path) || path + '/' === r.path)));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const route = this.find(req);
    if (route?.request) {
      route.request(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `no endpoint at ${req.url}`, code: 'NOT_FOUND', paths: this.routes.map((r) => r.path) } }));
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const route = this.find(req);
    if (route?.upgrade) {
      route.upgrade(req, socket, head);
      return;
    }
    socket.end(`HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nno websocket endpoint at ${req.url}\n`);
  }
}

/** The registry of shared HTTP servers of one host. Port 0 always gets a server of its own. */
export class HttpServers {
  private readonly servers = new Map<string, SharedHttpServer>();
  private ephemeral = 0;

  acquire(listen: Listen): SharedHttpServer {
    const key = listen.port === 0 ? `${listen.host}:0#${++this.ephemeral}` : `${listen.host}:${listen.port}`;
    let s = this.servers.get(key);
    if (!s) {
      s = new SharedHttpServer(listen);
      this.servers.set(key, s);
    }
    return s;
  }

  list(): SharedHttpServer[] {
    return [...this.servers.values()];
  }
}
