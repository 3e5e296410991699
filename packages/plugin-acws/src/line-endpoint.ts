import type { WebSocket, RawData } from 'ws';
import { CommandError, errorMessage, type Caller, type ComponentStatus, type Endpoint, type WsClientInfo, type WsEndpoint } from '@acgateway/core';
import type { AcwsApi } from './plugin.js';
import type { AcwsEventMap, AcwsEvents } from './events.js';
import {
  driverEvent,
  encodeData,
  encodeError,
  LogonError,
  lobbyEvent,
  failedToParseMessage,
  toLineReply,
  originalSessionError,
  notLoggedOnMessage,
  parseClientLine,
  parseLogon,
  serverEvent,
  sessionEvent,
  shutdownMessage,
  unrecognisedMessage,
  welcomeMessage,
  withoutAddress,
  forReadOnly,
} from './wire/line-protocol.js';
import type { AcwsOptions } from './options.js';

export interface LineEndpointDeps {
  api: AcwsApi;
  options: AcwsOptions['acws'];
  events: AcwsEvents;
  version: string;
  badInput: (kind: string, message: string) => void;
}

type Listener<K extends keyof AcwsEventMap> = (...args: AcwsEventMap[K]) => void;

/**
 * The original's websocket line protocol on its own port: a welcome, `logon:`, one command per
 * message answered with `{"data": ...}` or `{"error": {"msg": ...}}`, and server events pushed to
 * every logged-on client. Commands go through the host's dispatcher, so they are the same verbs
 * (same checks, same audit) as on the gateway and the CLI.
 */
export class LineEndpoint implements Endpoint {
  readonly name = 'acws';
  readonly kind = 'ws';
  private readonly ws: WsEndpoint;
  private readonly conns = new Set<LineConnection>();
  private readonly listeners: Array<() => void> = [];
  private bound = { host: '127.0.0.1', port: 0 };
  private running = false;

  constructor(private readonly deps: LineEndpointDeps) {
    const o = deps.options;
    this.ws = deps.api.endpoints.ws({
      name: 'acws',
      host: o.host,
      port: o.port,
      path: o.path,
      maxPayload: o.maxPayload,
      // Off loopback a token is configured (the plugin refuses to start otherwise), and a configured token is always required.
      auth: { token: o.token, readToken: o.readToken, allowedOrigins: o.allowedOrigins },
      backpressure: { maxBufferedBytes: o.maxBufferedBytes },
      onConnection: (ws, info) => this.onConnection(ws, info),
      status: () => this.status(),
    });
  }

  async start(): Promise<void> {
    await this.ws.start();
    const url = new URL(this.ws.urls()[0]!);
    this.bound = { host: this.deps.options.host, port: Number(url.port) };
    this.attach();
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.detach();
    await this.ws.stop();
    this.conns.clear();
  }

  urls(): string[] {
    return this.ws.urls();
  }

  clients(): number {
    return this.conns.size;
  }

  status(): ComponentStatus {
    return { state: this.running ? 'running' : 'stopped', clients: this.conns.size, loggedOn: [...this.conns].filter((c) => c.loggedOn).length };
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** `shutdown now`: tells every client, then closes this endpoint (the gateway and acServer keep running). */
  shutdown(): { msg: string } {
    const msg = shutdownMessage(this.bound.host, this.bound.port);
    for (const c of this.conns) c.send(encodeData({ msg }));
    // After the reply to whoever asked has gone out.
    setTimeout(() => void this.stop().catch((err) => this.deps.api.logger.error({ err: errorMessage(err) }, 'closing the acws endpoint failed')), 50);
    return { msg };
  }

  private onConnection(ws: WebSocket, info: WsClientInfo): void {
    const conn = new LineConnection(ws, info, this.deps, this.replyOrder, (admin, read) => {
      // As the original: what one client's server, lobby or tracker command printed, every
      // logged-on client sees (a read-only one without addresses, folders and command lines,
      // rendered only when there is such a client).
      let readText: string | undefined;
      for (const c of this.conns) if (c !== conn && c.loggedOn) c.send(c.role === 'admin' ? admin : (readText ??= read()));
    });
    this.conns.add(conn);
    ws.once('close', () => this.conns.delete(conn));
    conn.send(encodeData({ msg: welcomeMessage(this.deps.version, this.bound.host, this.bound.port) }));
  }

  private broadcast(admin: string, read: string = admin): void {
    for (const c of this.conns) if (c.loggedOn) c.send(c.role === 'admin' ? admin : read);
  }

  /**
   * The original answers `server start` with "AC Server started" and only then broadcasts
   * "Assetto Corsa server started" (and likewise for stop): process broadcasts wait while a
   * start/stop/restart command's reply is still to go out.
   */
  private readonly replyOrder = { running: 0, held: [] as Array<() => void> };

  private broadcastAfterReplies(admin: string, read?: string): void {
    if (this.replyOrder.running > 0) this.replyOrder.held.push(() => this.broadcast(admin, read));
    else this.broadcast(admin, read);
  }

  private on<K extends keyof AcwsEventMap>(event: K, fn: Listener<K>): void {
    const events = this.deps.events as unknown as { on(e: K, f: Listener<K>): void; off(e: K, f: Listener<K>): void };
    events.on(event, fn);
    this.listeners.push(() => events.off(event, fn));
  }

  private attach(): void {
    this.on('banner', (e) => this.broadcast(encodeData(serverEvent({ version: e.version, timestamp: e.timestamp, msg: e.msg }))));
    this.on('session', (e) => this.broadcast(encodeData(sessionEvent(e))));
    this.on('driver', (d) => this.broadcast(encodeData(driverEvent(d)), encodeData(driverEvent(withoutAddress(d)))));
    this.on('lobby', (l) => this.broadcast(encodeData(lobbyEvent(l))));
    this.on('process', (e) => {
      const title = e.who === 'acServer' ? 'AC Server' : 'stracker';
      if (e.what === 'started') {
        this.broadcastAfterReplies(encodeData({ msg: e.who === 'acServer' ? 'Assetto Corsa server started' : `stracker is running since ${e.run.timestamp}` }));
        return;
      }
      if (e.what === 'crashed' && e.exit) {
        const how = e.exit.signal ? `signal ${e.exit.signal}` : `exit code ${e.exit.code}`;
        const msg = `${title} exited unexpectedly (${how})`;
        // The last lines can hold drivers' addresses: full-control clients only.
        this.broadcast(encodeError(msg, { details: e.exit.lastLines.join('\n') }), encodeError(msg));
      }
      this.broadcastAfterReplies(encodeData({ msg: e.who === 'acServer' ? 'Assetto Corsa server stopped' : 'Stracker server stopped' }));
    });
  }

  private detach(): void {
    for (const off of this.listeners.splice(0)) off();
  }
}

const GRID_TWO_MESSAGES = /^\s*grid\s+(finish|reverse)\s*$/i;
/** The command families whose replies the original sends to every client. */
const SHARED_FAMILY = /^\s*(server|lobby|tracker)\b/i;
/** Commands whose reply goes out before the process broadcast they cause. */
const PROCESS_COMMAND = /^\s*(server|tracker)\s+(start|stop|restart)\b/i;

function toText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

class LineConnection {
  loggedOn: boolean;
  private user = '';
  private pending = 0;
  private chain: Promise<void> = Promise.resolve();
  readonly role: 'admin' | 'read';

  constructor(
    private readonly ws: WebSocket,
    private readonly info: WsClientInfo,
    private readonly deps: LineEndpointDeps,
    private readonly replyOrder: { running: number; held: Array<() => void> },
    private readonly share: (admin: string, read: () => string) => void,
  ) {
    this.role = info.role;
    this.loggedOn = !deps.options.requireLogon;
    ws.on('message', (data) => {
      try {
        this.onMessage(toText(data));
      } catch (err) {
        // One client's bad message is that client's problem, never the host's.
        deps.api.logger.error({ client: info.id, err: errorMessage(err) }, 'handling an acws message failed: closing that client');
        deps.badInput('internal', `acws client ${info.id}: ${errorMessage(err)}`);
        ws.close(1011, 'internal error handling a message');
      }
    });
  }

  /** Every reply and event counts against the client's bound: one that never reads is closed. */
  send(text: string): void {
    this.info.link.send(text);
  }

  private error(msg: string): void {
    this.send(encodeError(msg));
  }

  private caller(): Caller {
    return { endpoint: 'acws', role: this.role, remote: this.info.remote, id: this.user ? `${this.info.id}:${this.user}` : this.info.id };
  }

  private onMessage(text: string): void {
    const o = this.deps.options;
    if (text.length > o.maxLineLength) {
      this.deps.badInput('line-too-long', `acws client ${this.info.id} sent a line of ${text.length} characters`);
      return this.error(`Command too long: ${text.length} characters, at most ${o.maxLineLength}`);
    }
    const line = parseClientLine(text);
    switch (line.kind) {
      case 'ignore':
        return;
      case 'empty':
        this.deps.badInput('line-empty', `acws client ${this.info.id} sent an empty message`);
        return this.error('Received empty message: send one command per message, e.g. "server info"');
      case 'logon':
        try {
          const logon = parseLogon(line.payload, o.minProtocol);
          this.loggedOn = true;
          this.user = logon.username.replace(/[^\w.@-]/g, '_');
          this.deps.api.logger.info({ client: this.info.id, remote: this.info.remote, role: this.role, user: logon.username, protocol: logon.protocol }, 'acws client logged on');
        } catch (err) {
          if (!(err instanceof LogonError)) throw err;
          this.deps.badInput('logon', `acws client ${this.info.id}: ${err.message}`);
          this.error(err.message);
        }
        return;
      case 'unrecognised':
        this.deps.badInput('unrecognised', `acws client ${this.info.id} sent an unrecognised message`);
        return this.error(unrecognisedMessage(line.raw));
      case 'command':
        if (!this.loggedOn) {
          return this.error(notLoggedOnMessage(o.minProtocol));
        }
        if (this.pending >= o.maxPending) {
          this.deps.badInput('too-many-pending', `acws client ${this.info.id} has ${this.pending} commands waiting`);
          return this.error(`Command ignored - ${this.pending} commands of this connection are still running`);
        }
        this.pending++;
        // One at a time per connection, so replies come back in the order asked.
        this.chain = this.chain.then(() => this.run(line.line)).finally(() => this.pending--);
        return;
    }
  }

  private async run(line: string): Promise<void> {
    const ordered = PROCESS_COMMAND.test(line);
    if (ordered) this.replyOrder.running++;
    try {
      await this.runOne(line);
    } finally {
      if (ordered && --this.replyOrder.running === 0) for (const b of this.replyOrder.held.splice(0)) b();
    }
  }

  private async runOne(line: string): Promise<void> {
    // Replies to server, lobby and tracker commands go to every logged-on client; grid's stay private.
    const shared = SHARED_FAMILY.test(line);
    const reply = (frame: unknown) => {
      const text = encodeData(frame);
      this.send(text);
      if (shared) this.share(text, () => encodeData(forReadOnly(frame)));
    };
    const fail = (msg: string) => {
      const text = encodeError(msg);
      this.send(text);
      if (shared) this.share(text, () => text);
    };
    try {
      const result = await this.deps.api.deps.dispatcher.dispatch(line, this.caller());
      // The original answers `grid finish`/`grid reverse` with two messages, the message then the grid;
      // a client doing two receives must get both. (The gateway protocol keeps one reply per command.)
      if (GRID_TWO_MESSAGES.test(line) && result && typeof result === 'object' && 'msg' in result && 'grid' in result) {
        const r = result as { msg: string; grid: unknown };
        this.send(encodeData({ msg: r.msg }));
        this.send(encodeData({ grid: r.grid }));
        return;
      }
      reply(toLineReply(result ?? { msg: 'OK' }));
    } catch (err) {
      const e = err instanceof CommandError ? err : new CommandError('COMMAND_FAILED', errorMessage(err));
      if (e.code === 'UNKNOWN_VERB' || e.code === 'BAD_ARGS' || e.code === 'BAD_LINE') this.deps.badInput('bad-command', `acws client ${this.info.id}: ${e.message}`);
      if (e.code === 'UNKNOWN_VERB' && !this.deps.options.strict) {
        // As the original: an unknown sub-command of grid, lobby or tracker gets no reply at all,
        // one of server gets "Failed to parse [<words>]". (strict: true answers our error instead.)
        const [first, ...rest] = line.trim().split(/\s+/);
        if (first === 'grid' || first === 'lobby' || first === 'tracker') return;
        if (first === 'server') return fail(failedToParseMessage(rest));
      }
      if (e.code === 'BAD_ARGS' && !this.deps.options.strict) {
        const original = originalSessionError(line);
        if (original) return fail(original);
      }
      // A refusal (FORBIDDEN) is the asker's business alone.
      if (e.code === 'FORBIDDEN') return this.error(e.message);
      fail(e.message);
    }
  }
}
