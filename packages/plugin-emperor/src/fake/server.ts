import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeFrame } from '../wire/encode.js';
import { EventType } from '../wire/event-types.js';
import type { RawSessionInfo, RawVec3 } from '../wire/raw.js';
import { FakeRace, type FakeDriverSpec, type FakeRaceOptions } from './race-model.js';
import { LiveRace, type LiveRaceOptions } from './live.js';

export interface FakeRaceControlOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default /api/race-control. */
  path?: string;
  /** The server's websocket ping period, as Server Manager's 10 s (0: none). */
  pingIntervalMs?: number;
  /** gorilla/websocket's default: 403 when an Origin header is present and names another host. Default true. */
  checkOrigin?: boolean;
  /** Open for reading without a login (default true). When false, a handshake without `cookie` gets 302 to /login. */
  open?: boolean;
  /** The Cookie header value that counts as logged in. */
  cookie?: string;
  /** Options of the race model, or a model to use. */
  race?: FakeRaceOptions | FakeRace;
}

export interface HandshakeRecord {
  path: string;
  origin: string | null;
  cookie: string | null;
  /** HTTP status answered; 101 for an accepted websocket, 0 while left hanging. */
  status: number;
}

interface Client {
  ws: WebSocket;
  /** Accepted while the server was silent: it never gets a frame or a ping. */
  silent: boolean;
}

/**
 * A stand-in for Server Manager's race-control websocket, on loopback, speaking the real protocol:
 * on connect the last broadcast snapshot (or an empty frame if none was broadcast yet) and the stored
 * chat; then each action broadcasts what the real server broadcasts (e.g. NewConnection then a
 * snapshot). Test controls break it on purpose: refuse handshakes, hang, stay silent, drop
 * connections, send garbage. `startLive()` keeps a plausible race going, for the demo.
 *
 * ```ts
 * const fake = new FakeRaceControlServer();
 * await fake.start();                       // fake.url -> ws://127.0.0.1:<port>/api/race-control
 * fake.connectDriver({ guid: '7656...', name: 'Sam Carter-YORK' });
 * fake.startLive();                          // or drive it step by step
 * await fake.stop();
 * ```
 */
export class FakeRaceControlServer {
  readonly race: FakeRace;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly clientSet = new Set<Client>();
  private readonly hanging = new Set<Duplex>();
  private readonly options: Required<Omit<FakeRaceControlOptions, 'race' | 'cookie'>> & { cookie?: string };
  private lastSnapshot: string | null = null;
  private refuseStatus: number | null = null;
  private silent = false;
  private hang = false;
  private pingTimer: NodeJS.Timeout | undefined;
  private live: LiveRace | undefined;
  /** Every handshake seen, newest last (at most 100). */
  readonly handshakes: HandshakeRecord[] = [];
  /** Websocket connections accepted since start. */
  accepted = 0;
  /** Frames sent, all clients together. */
  framesSent = 0;

  constructor(options: FakeRaceControlOptions = {}) {
    this.options = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      path: options.path ?? '/api/race-control',
      pingIntervalMs: options.pingIntervalMs ?? 10_000,
      checkOrigin: options.checkOrigin ?? true,
      open: options.open ?? true,
      cookie: options.cookie,
    };
    this.race = options.race instanceof FakeRace ? options.race : new FakeRace(options.race);
    // autoPong off: Server Manager never reads the socket, so it never answers a client's ping.
    this.wss = new WebSocketServer({ noServer: true, autoPong: false, perMessageDeflate: false });
    this.http = createServer((req, res) => {
      if (req.url === '/healthcheck.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"OK":true}');
        return;
      }
      res.writeHead(404).end();
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port, this.options.host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    if (this.options.pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => {
        for (const c of this.clientSet) if (!c.silent && c.ws.readyState === c.ws.OPEN) c.ws.ping();
      }, this.options.pingIntervalMs);
      this.pingTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopLive();
    clearInterval(this.pingTimer);
    for (const s of this.hanging) s.destroy();
    this.hanging.clear();
    for (const c of this.clientSet) c.ws.terminate();
    this.clientSet.clear();
    this.wss.close();
    this.http.closeAllConnections?.();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  get port(): number {
    return (this.http.address() as AddressInfo | null)?.port ?? 0;
  }

  /** ws://127.0.0.1:<port>/api/race-control */
  get url(): string {
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `ws://${host}:${this.port}${this.options.path}`;
  }

  /** Open websocket connections. */
  get clients(): number {
    return this.clientSet.size;
  }

  // ---- what Server Manager broadcasts, action by action ----

  /** NewConnection (51), then a snapshot. */
  connectDriver(spec: FakeDriverSpec): number {
    const info = this.race.connect(spec);
    this.send(EventType.NewConnection, info);
    this.broadcastSnapshot();
    return info.CarID;
  }

  /** ConnectionClosed (52), then a snapshot. */
  disconnectDriver(guid: string): boolean {
    const info = this.race.disconnect(guid);
    if (!info) return false;
    this.send(EventType.ConnectionClosed, info);
    this.broadcastSnapshot();
    return true;
  }

  /** ClientLoaded (58, a bare CarID), then a snapshot. */
  clientLoaded(guid: string): boolean {
    const carId = this.race.clientLoaded(guid);
    if (carId === undefined) return false;
    this.send(EventType.ClientLoaded, carId);
    this.broadcastSnapshot();
    return true;
  }

  /** A lap: the server forwards no LapCompleted, only the snapshot that follows. */
  completeLap(guid: string, lapMs: number, options: { cuts?: number } = {}): boolean {
    if (!this.race.completeLap(guid, lapMs, options)) return false;
    this.broadcastSnapshot();
    return true;
  }

  /** NewSession (50), then a snapshot. */
  newSession(session: Partial<RawSessionInfo>): void {
    this.send(EventType.NewSession, this.race.newSession(session));
    this.broadcastSnapshot();
  }

  /** CarUpdate (53); no snapshot follows. */
  carUpdate(guid: string, update: { pos: RawVec3; velocity?: RawVec3; gear?: number; rpm?: number; splinePos?: number }): boolean {
    const u = this.race.carUpdate(guid, update);
    if (!u) return false;
    this.send(EventType.CarUpdate, u);
    return true;
  }

  /** Chat (57), stored and replayed to later connections; no snapshot. */
  chat(guid: string, text: string): boolean {
    const c = this.race.addChat(guid, text);
    if (!c) return false;
    this.send(EventType.Chat, c);
    return true;
  }

  /** CollisionWithCar (10) or, without another car, CollisionWithEnv (11); then a snapshot. */
  collision(guid: string, otherGuid: string | null, impactSpeedMps: number): boolean {
    const m = otherGuid === null ? this.race.collisionWithEnv(guid, impactSpeedMps) : this.race.collisionWithCar(guid, otherGuid, impactSpeedMps);
    if (!m) return false;
    this.send(otherGuid === null ? EventType.CollisionWithEnv : EventType.CollisionWithCar, m);
    this.broadcastSnapshot();
    return true;
  }

  /** Version (56, a bare number): acServer (re)started. */
  serverRestarted(protocolVersion = 4): void {
    this.send(EventType.Version, protocolVersion);
  }

  /** A snapshot (200), also kept as what new connections get first. */
  broadcastSnapshot(): void {
    this.lastSnapshot = encodeFrame(EventType.RaceControl, this.race.snapshot());
    this.sendRaw(this.lastSnapshot);
  }

  // ---- test controls ----

  /** Any frame, encoded as Server Manager would. */
  send(eventType: number, message: unknown): void {
    this.sendRaw(encodeFrame(eventType, message));
  }

  /** A frame as given: garbage, an empty frame, a truncated document... Text unless `binary`. */
  sendRaw(data: string | Buffer, options: { binary?: boolean } = {}): void {
    for (const c of this.clientSet) {
      if (c.silent || c.ws.readyState !== c.ws.OPEN) continue;
      c.ws.send(data, { binary: options.binary ?? false });
      this.framesSent++;
    }
  }

  /** Drops every connection without a close frame (as a crash or network loss would). */
  dropConnections(): void {
    for (const c of this.clientSet) c.ws.terminate();
  }

  /** Answers the next handshakes with this HTTP status (403, 302, 404, 500...), or accepts again (null). */
  refuse(status: number | null): void {
    this.refuseStatus = status;
  }

  /** New connections are accepted but get nothing at all: no snapshot, no events, no pings. */
  setSilent(on: boolean): void {
    this.silent = on;
  }

  /** New connections get no answer to their handshake; the TCP connection is left open. */
  setHang(on: boolean): void {
    this.hang = on;
    if (!on) {
      for (const s of this.hanging) s.destroy();
      this.hanging.clear();
    }
  }

  /** Keeps generating plausible traffic (drivers, car updates, laps, chat, collisions, sessions) until `stopLive()`. */
  startLive(options: LiveRaceOptions = {}): LiveRace {
    this.stopLive();
    this.live = new LiveRace(this, options);
    this.live.start();
    return this.live;
  }

  stopLive(): void {
    this.live?.stop();
    this.live = undefined;
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const record: HandshakeRecord = { path: req.url ?? '', origin: req.headers.origin ?? null, cookie: req.headers.cookie ?? null, status: 0 };
    this.handshakes.push(record);
    if (this.handshakes.length > 100) this.handshakes.shift();
    socket.on('error', () => socket.destroy());
    if (this.hang) {
      this.hanging.add(socket);
      socket.once('close', () => this.hanging.delete(socket));
      return;
    }
    const path = (req.url ?? '').split('?')[0];
    let status = this.refuseStatus ?? 0;
    if (!status && path !== this.options.path) status = 404;
    if (!status && !this.options.open && (!this.options.cookie || req.headers.cookie !== this.options.cookie)) status = 302;
    if (!status && this.options.checkOrigin && req.headers.origin && !sameHost(req.headers.origin, req.headers.host)) status = 403;
    if (status) {
      record.status = status;
      const location = status >= 300 && status < 400 ? 'Location: /login\r\n' : '';
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${location}Content-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    record.status = 101;
    this.wss.handleUpgrade(req, socket as Socket, head, (ws) => this.onConnection(ws));
  }

  private onConnection(ws: WebSocket): void {
    const client: Client = { ws, silent: this.silent };
    this.clientSet.add(client);
    this.accepted++;
    ws.on('close', () => this.clientSet.delete(client));
    ws.on('error', () => ws.terminate());
    if (client.silent) return;
    // The cached bytes of the last snapshot broadcast, or zero bytes when there was none.
    ws.send(this.lastSnapshot ?? '', { binary: false });
    this.framesSent++;
    for (const c of this.race.storedChat()) {
      ws.send(encodeFrame(EventType.Chat, c), { binary: false });
      this.framesSent++;
    }
  }
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host.toLowerCase() === (host ?? '').toLowerCase();
  } catch {
    return false;
  }
}
