import type { Socket } from 'node:net';
import type { WebSocket, RawData } from 'ws';
import type { Bus, Message, Policy, Subscription } from '../bus.js';
import { CommandError, errorMessage } from '../errors.js';
import { validatePattern } from '../topics.js';
import type { Caller } from '../commands/registry.js';
import { API_VERSION, CORE_VERSION } from '../version.js';
import { encodeMessage } from './encode.js';
import { WsEndpoint, type EndpointDeps, type WsClientInfo, type WsEndpointOptions } from './ws.js';
import type { AuthOptions } from '../auth.js';
import type { SharedHttpServer } from '../http/servers.js';

/** Runs a command line or a structured call for a caller; throws CommandError. */
export interface Dispatcher {
  dispatch(request: string | { verb: string; args?: readonly string[] }, caller: Caller): Promise<unknown>;
}

export interface BackpressureOptions {
  /** Above this many unsent bytes a client's subscriptions pause (conflate or queue per policy). */
  highWaterBytes: number;
  /** Above this many unsent bytes the client is disconnected. */
  maxBufferedBytes: number;
  /** A client paused this long without draining is disconnected. */
  stallMs: number;
}

export const DEFAULT_BACKPRESSURE: BackpressureOptions = { highWaterBytes: 1 << 20, maxBufferedBytes: 8 << 20, stallMs: 10_000 };

export interface GatewayOptions {
  name?: string;
  host: string;
  port: number;
  server?: SharedHttpServer;
  path?: string;
  maxPayload?: number;
  perMessageDeflate?: boolean;
  auth?: AuthOptions;
  backpressure?: Partial<BackpressureOptions>;
  /** Bound of a `queue` subscription, messages. */
  maxQueue?: number;
  /** Answers a plain HTTP request on the gateway's path (the built-in web page). */
  request?: WsEndpointOptions['request'];
}

/** Close code for a client dropped for not reading (RFC 6455 1008, policy violation). */
export const CLOSE_TOO_SLOW = 1008;

/**
 * The built-in gateway websocket: clients subscribe to topic patterns and call commands with JSON
 * text frames (protocol in the README).
 */
export function createGatewayEndpoint(deps: EndpointDeps, bus: Bus, dispatcher: Dispatcher, options: GatewayOptions): WsEndpoint {
  const bp: BackpressureOptions = { ...DEFAULT_BACKPRESSURE, ...options.backpressure };
  const clients = new Set<GatewayClient>();
  return new WsEndpoint(deps, {
    name: options.name ?? 'gateway',
    host: options.host,
    port: options.port,
    server: options.server,
    path: options.path ?? '/',
    maxPayload: options.maxPayload,
    perMessageDeflate: options.perMessageDeflate,
    auth: options.auth,
    request: options.request,
    onConnection(ws, info) {
      const client = new GatewayClient(ws, info, bus, dispatcher, deps, bp, options.maxQueue ?? 1000);
      clients.add(client);
      ws.once('close', () => {
        clients.delete(client);
        client.dispose();
      });
    },
    onStop() {
      for (const c of clients) c.dispose();
    },
  });
}

/** Sockets whose writes are held until the current tick's synchronous work is done. */
const corkedSockets: Socket[] = [];

function uncorkAll(): void {
  for (const socket of corkedSockets) socket.uncork();
  corkedSockets.length = 0;
}

/** Frames this small are batched per tick; a bigger one is its own batch (the syscall is amortized). */
const BATCH_BELOW_BYTES = 16 * 1024;

/**
 * After a client's first small frame in a tick, hold its later frames until the tick ends, so a
 * burst (many topics at once, or flat-out publishing) leaves in one writev instead of one syscall
 * per frame. A lone frame is written at once: 60 Hz single-topic latency is unchanged. Held bytes
 * count in bufferedAmount, so backpressure still sees them. `ws` has no public cork; `_socket` is
 * its net.Socket.
 */
function holdRestOfTick(ws: WebSocket): void {
  const socket = (ws as unknown as { _socket?: Socket })._socket;
  if (!socket || socket.writableCorked > 0) return;
  socket.cork();
  if (corkedSockets.push(socket) === 1) process.nextTick(uncorkAll);
}

class GatewayClient {
  private readonly subs = new Map<Policy, Subscription>();
  private drainTimer: NodeJS.Timeout | undefined;
  private pausedAt = 0;
  private paused = false;
  private droppedUnreported = 0;
  private readonly caller: Caller;
  private disposed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly info: WsClientInfo,
    private readonly bus: Bus,
    private readonly dispatcher: Dispatcher,
    private readonly deps: EndpointDeps,
    private readonly bp: BackpressureOptions,
    private readonly maxQueue: number,
  ) {
    this.caller = { endpoint: 'gateway', role: info.role, remote: info.remote, id: info.id };
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    this.sendControl({ op: 'welcome', server: 'acgateway', version: CORE_VERSION, apiVersion: API_VERSION, role: info.role });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.subs.values()) s.unsubscribe();
    this.subs.clear();
    if (this.drainTimer) clearInterval(this.drainTimer);
  }

  private sendControl(frame: unknown): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(frame));
  }

  private error(message: string, code: string, id?: unknown): void {
    const frame: Record<string, unknown> = id !== undefined ? { id } : { op: 'error' };
    frame.error = { message, code };
    this.sendControl(frame);
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (isBinary) return this.error('binary frames are not part of the protocol: send JSON text', 'BAD_FRAME');
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString());
    } catch (err) {
      this.deps.metrics.badInput.labels('core', 'gateway-json').inc();
      return this.error(`malformed JSON: ${errorMessage(err)}`, 'BAD_JSON');
    }
    if (!frame || typeof frame !== 'object' || Array.isArray(frame)) {
      return this.error('a frame must be a JSON object with an "op"', 'BAD_FRAME');
    }
    const f = frame as Record<string, unknown>;
    switch (f.op) {
      case 'subscribe':
        return this.subscribe(f);
      case 'unsubscribe':
        return this.unsubscribe(f);
      case 'command':
        return void this.command(f);
      case 'ping':
        return this.sendControl({ op: 'pong', id: f.id, ts: Date.now() });
      default:
        this.deps.metrics.badInput.labels('core', 'gateway-op').inc();
        return this.error(
          `unknown op ${JSON.stringify(f.op)}: expected subscribe, unsubscribe, command or ping`,
          'UNKNOWN_OP',
          f.id,
        );
    }
  }

  private topicsOf(f: Record<string, unknown>): string[] | undefined {
    const topics = f.topics;
    if (!Array.isArray(topics) || topics.length === 0 || !topics.every((t) => typeof t === 'string')) {
      this.error('"topics" must be a non-empty array of topic patterns', 'BAD_TOPICS', f.id);
      return undefined;
    }
    for (const t of topics as string[]) {
      const problem = validatePattern(t);
      if (problem) {
        this.error(problem, 'BAD_TOPICS', f.id);
        return undefined;
      }
    }
    return topics as string[];
  }

  private subscribe(f: Record<string, unknown>): void {
    const topics = this.topicsOf(f);
    if (!topics) return;
    const policy = f.policy ?? 'latest';
    if (policy !== 'latest' && policy !== 'queue') {
      return this.error(`"policy" must be "latest" or "queue", got ${JSON.stringify(policy)}`, 'BAD_POLICY', f.id);
    }
    // Reply first, so the retained messages delivered on subscribe come after the acknowledgement.
    this.sendControl({ op: 'subscribed', topics, policy, ...(f.id !== undefined ? { id: f.id } : {}) });
    const existing = this.subs.get(policy);
    if (existing) {
      existing.add(topics);
    } else {
      const sub = this.bus.subscribe(topics, (m) => this.deliver(m), {
        policy,
        maxQueue: this.maxQueue,
        onDrop: () => {
          this.droppedUnreported++;
        },
      });
      this.subs.set(policy, sub);
      if (this.paused) sub.pause();
    }
  }

  private unsubscribe(f: Record<string, unknown>): void {
    const topics = this.topicsOf(f);
    if (!topics) return;
    for (const s of this.subs.values()) s.remove(topics);
    this.sendControl({ op: 'unsubscribed', topics, ...(f.id !== undefined ? { id: f.id } : {}) });
  }

  private async command(f: Record<string, unknown>): Promise<void> {
    const id = f.id ?? null;
    let request: string | { verb: string; args?: string[] };
    if (typeof f.line === 'string') {
      request = f.line;
    } else if (typeof f.verb === 'string') {
      const args = f.args;
      if (args !== undefined && (!Array.isArray(args) || !args.every((a) => typeof a === 'string' || typeof a === 'number'))) {
        return this.error('"args" must be an array of strings', 'BAD_ARGS', id);
      }
      request = { verb: f.verb, args: (args as Array<string | number> | undefined)?.map(String) };
    } else {
      return this.error('a command needs "line" (a command line) or "verb" and "args"', 'BAD_FRAME', id);
    }
    try {
      const data = await this.dispatcher.dispatch(request, this.caller);
      this.sendControl({ id, data: data === undefined ? null : data });
    } catch (err) {
      const e = err instanceof CommandError ? err : new CommandError('COMMAND_FAILED', errorMessage(err));
      this.sendControl({ id, error: { message: e.message, code: e.code, ...(e.details !== undefined ? { details: e.details } : {}) } });
    }
  }

  private deliver(message: Message): void {
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN) return;
    const frame = encodeMessage(message);
    ws.send(frame, { binary: false });
    if (frame.length < BATCH_BELOW_BYTES) holdRestOfTick(ws);
    this.deps.metrics.countDelivered(message, 1);
    const buffered = ws.bufferedAmount;
    if (buffered > this.bp.maxBufferedBytes) {
      this.tooSlow(`more than ${this.bp.maxBufferedBytes} bytes unsent`);
    } else if (buffered > this.bp.highWaterBytes && !this.paused) {
      this.pauseAll();
    }
  }

  private pauseAll(): void {
    for (const s of this.subs.values()) s.pause();
    this.paused = true;
    this.pausedAt = Date.now();
    if (this.drainTimer) return;
    this.drainTimer = setInterval(() => {
      if (this.ws.readyState !== this.ws.OPEN) return this.dispose();
      if (this.ws.bufferedAmount <= this.bp.highWaterBytes / 4) {
        clearInterval(this.drainTimer);
        this.drainTimer = undefined;
        if (this.droppedUnreported > 0) {
          this.sendControl({ op: 'dropped', count: this.droppedUnreported, reason: 'client too slow for the queue bound' });
          this.droppedUnreported = 0;
        }
        this.paused = false;
        for (const s of this.subs.values()) s.resume();
      } else if (Date.now() - this.pausedAt > this.bp.stallMs) {
        this.tooSlow(`no data read for ${this.bp.stallMs} ms`);
      }
    }, 20);
  }

  private tooSlow(why: string): void {
    this.deps.logger.warn({ client: this.info.id, remote: this.info.remote }, `disconnecting slow client: ${why}`);
    this.dispose();
    this.ws.close(CLOSE_TOO_SLOW, `client too slow: ${why}`.slice(0, 120));
    // A client that reads nothing will not complete the closing handshake either.
    const ws = this.ws;
    setTimeout(() => ws.terminate(), 1000).unref();
  }
}
