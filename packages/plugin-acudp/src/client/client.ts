import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { isLoopback } from '@acgateway/core';
import { decodeDatagram } from '../wire/decode.js';
import { encodeCommand } from '../wire/commands.js';
import { acspNameOf } from '../wire/compat.js';
import type { EventName } from '../wire/ids.js';
import { AcspEncodeError } from '../wire/writer.js';
import type {
  AcspCommand,
  AcspEvent,
  CarInfoEvent,
  DecodeError,
  EventOf,
  SessionInfoEvent,
  SetSessionInfoCommand,
} from '../wire/types.js';
import { AcUdpError } from './errors.js';
import { EventQueue } from './event-queue.js';
import { PendingRequests } from './requests.js';
import { AcState } from './state.js';

/**
 * The UDP receive buffer asked of the OS by default: 1 MiB (Linux books twice that, about 2,500
 * car-update datagrams: 1.7 s of 24 cars at 60 Hz while the gateway is held up). Under a flood it is
 * where data waits, so its size over the read rate is how old a car update can get: 4 MiB made car
 * updates 135 ms old at p99 on the development machine, 1 MiB 61 ms (bench/acudp-freshness).
 */
export const DEFAULT_RECV_BUFFER_BYTES = 1 << 20;

export interface AcUdpClientOptions {
  /** Local port the server sends events to (`UDP_PLUGIN_ADDRESS` port). Default 12000; 0 = ephemeral. */
  listenPort?: number;
  /** Local address to bind. Default 127.0.0.1 when the server is on loopback, else 0.0.0.0. */
  listenHost?: string;
  /** Where commands go: the AC server's host. Default 127.0.0.1. */
  serverHost?: string;
  /** The server's `UDP_PLUGIN_LOCAL_PORT`. Default 11000. */
  serverPort?: number;
  /** How long get-car-info / get-session-info wait for the answer. Default 2000 ms. */
  requestTimeoutMs?: number;
  /** Receive buffer asked of the OS (capped by it), bytes. Default {@link DEFAULT_RECV_BUFFER_BYTES}. */
  recvBufferBytes?: number;
  /**
   * Whose datagrams count: `'server'` (default) only those from the server's address (serverHost,
   * resolved at listen), as AssettoServer checks where commands come from; `'any'` for NAT or
   * relays that change the source. Others are dropped and told through `foreign_datagram`.
   */
  acceptFrom?: 'server' | 'any';
  /** With acceptFrom 'server': the source port must be serverPort too (acServer sends from it). Default false. */
  checkSourcePort?: boolean;
}

/** Where a datagram came from. */
export interface DatagramSource {
  address: string;
  port: number;
}

export interface ClientStats {
  /** Datagrams received (or fed). */
  datagrams: number;
  /** Events decoded and emitted. */
  events: number;
  /** Datagrams that could not be decoded. */
  decodeErrors: number;
  /** Datagrams decoded with bytes left over. */
  trailingBytes: number;
  /** Commands sent. */
  commandsSent: number;
  /** Listeners or subscribers that threw. */
  listenerErrors: number;
  /** Datagrams dropped for coming from elsewhere than the server (acceptFrom 'server'). */
  foreign: number;
}

/** A subscriber in acudpclient's style: methods named `on_<ACSP name>`, e.g. `on_ACSP_LAP_COMPLETED(event)`. */
export type AcudpSubscriber = Partial<Record<`on_ACSP_${string}`, (event: AcspEvent) => unknown>> | object;

export type AcUdpClientEvents = { [K in EventName]: [EventOf<K>] } & {
  /** Every decoded event. */
  event: [AcspEvent];
  /** Each raw datagram before decoding, with its arrival time (ms since epoch). */
  datagram: [Buffer, number];
  /** A datagram that could not be decoded (it is skipped). */
  decode_error: [DecodeError, Buffer];
  /** A datagram decoded with `extra` bytes left over (the event is still emitted). */
  trailing_bytes: [AcspEvent, number, Buffer];
  /** A command that was sent, encoded. */
  sent: [AcspCommand, Buffer];
  /** A listener, subscriber callback or iterator threw; the event loop carried on. */
  listener_error: [unknown, AcspEvent];
  listening: [{ address: string; port: number }];
  close: [];
  /** A datagram from elsewhere than the server, dropped unread. */
  foreign_datagram: [Buffer, DatagramSource];
  /** Socket errors after listen() (only emitted when someone listens). */
  error: [Error];
};

/**
 * A client of the AC dedicated server's UDP plugin interface, usable without the gateway:
 * typed events, acudpclient-style subscribers, an async iterator, a method per command, and state.
 */
export class AcUdpClient extends EventEmitter<AcUdpClientEvents> {
  readonly options: Required<Omit<AcUdpClientOptions, 'listenHost'>> & { listenHost: string };
  /** The server's addresses (serverHost resolved); datagrams from others are foreign. */
  private serverAddresses = new Set<string>();
  readonly state: AcState;
  readonly stats: ClientStats = { datagrams: 0, events: 0, decodeErrors: 0, trailingBytes: 0, commandsSent: 0, listenerErrors: 0, foreign: 0 };
  private socket: dgram.Socket | undefined;
  private readonly subscribers = new Set<object>();
  private readonly queues = new Set<EventQueue>();
  private readonly requests = new PendingRequests();
  private readonly sending = new Set<(err: Error) => void>();
  private boundPort = 0;
  private closed = false;

  constructor(options: AcUdpClientOptions = {}) {
    super();
    const serverHost = options.serverHost ?? '127.0.0.1';
    this.options = {
      listenPort: options.listenPort ?? 12000,
      listenHost: options.listenHost ?? (isLoopback(serverHost) ? '127.0.0.1' : '0.0.0.0'),
      serverHost,
      serverPort: options.serverPort ?? 11000,
      requestTimeoutMs: options.requestTimeoutMs ?? 2000,
      recvBufferBytes: options.recvBufferBytes ?? DEFAULT_RECV_BUFFER_BYTES,
      acceptFrom: options.acceptFrom ?? 'server',
      checkSourcePort: options.checkSourcePort ?? false,
    };
    this.state = new AcState();
  }

  /** The receive buffer the OS granted, bytes as it reports them (0 before listen()). */
  recvBufferSize = 0;

  /** Changes where commands go (e.g. the server came back on another port), and whose datagrams are accepted. */
  async setServer(address: { host?: string; port?: number }): Promise<void> {
    if (address.port !== undefined) this.options.serverPort = address.port;
    if (address.host !== undefined && address.host !== this.options.serverHost) {
      this.options.serverHost = address.host;
      if (this.socket) await this.resolveServer();
    }
  }

  /** serverHost's addresses, IPv4-mapped forms included, so a datagram's source can be checked. */
  private async resolveServer(): Promise<void> {
    const host = this.options.serverHost;
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
    } catch (err) {
      throw new AcUdpError('LISTEN_FAILED', `cannot resolve the AC server's host "${host}" (acceptFrom 'server' needs its address): ${(err as Error).message}`, { cause: err });
    }
    this.serverAddresses = new Set(addresses.flatMap((a) => [a, `::ffff:${a}`]));
  }

  /** Whether a datagram may be read: from the server (and its port, when asked), or acceptFrom 'any'. */
  private fromServer(source: DatagramSource): boolean {
    if (this.options.acceptFrom === 'any') return true;
    if (!this.serverAddresses.has(source.address)) return false;
    return !this.options.checkSourcePort || source.port === this.options.serverPort;
  }

  /** The bound local port (useful with listenPort 0), or 0 before listen(). */
  get port(): number {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.socket !== undefined;
  }

  /** Binds the event port. Rejects with LISTEN_FAILED naming the address (e.g. the port is in use). */
  async listen(): Promise<{ address: string; port: number }> {
    if (this.socket) return { address: this.options.listenHost, port: this.boundPort };
    const { listenHost, listenPort } = this.options;
    if (this.options.acceptFrom === 'server') await this.resolveServer();
    const type = isIP(listenHost) === 6 ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type, recvBufferSize: this.options.recvBufferBytes });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        socket.close();
        const why = err.code === 'EADDRINUSE' ? 'the port is in use (another plugin or a second gateway?)' : err.message;
        reject(new AcUdpError('LISTEN_FAILED', `cannot listen for AC server events on ${listenHost}:${listenPort}: ${why}`, { cause: err }));
      };
      socket.once('error', onError);
      socket.bind(listenPort, listenHost, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    try {
      socket.setRecvBufferSize(this.options.recvBufferBytes);
    } catch {
      // The OS caps the size; a smaller buffer still works.
    }
    try {
      // Linux reports twice the usable size (bookkeeping included).
      this.recvBufferSize = socket.getRecvBufferSize();
    } catch {
      this.recvBufferSize = 0;
    }
    socket.on('message', (msg, rinfo) => {
      if (this.fromServer(rinfo)) {
        this.feed(msg);
        return;
      }
      this.stats.foreign++;
      if (this.listenerCount('foreign_datagram') > 0) this.safeEmit('foreign_datagram', [msg, { address: rinfo.address, port: rinfo.port }]);
    });
    socket.on('error', (err) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    this.socket = socket;
    this.closed = false;
    this.boundPort = socket.address().port;
    const info = { address: listenHost, port: this.boundPort };
    this.emit('listening', info);
    return info;
  }

  /** Closes the socket, fails pending requests, ends every iterator. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const socket = this.socket;
    this.socket = undefined;
    this.boundPort = 0;
    this.requests.rejectAll(new AcUdpError('CLOSED', 'the client was closed before the AC server answered'));
    for (const fail of this.sending) fail(new AcUdpError('CLOSED', 'the client was closed while sending'));
    this.sending.clear();
    for (const q of [...this.queues]) q.end();
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
    this.emit('close');
  }

  /**
   * Handles one datagram as if it had arrived on the socket: decode, update state, notify. Replay
   * uses this. Never throws; a bad datagram is counted and reported through `decode_error`.
   */
  feed(datagram: Buffer, receivedAt?: number): AcspEvent | undefined {
    this.stats.datagrams++;
    // The clock is read only for someone who wants it: this runs for every datagram.
    if (this.listenerCount('datagram') > 0) this.safeEmit('datagram', [datagram, receivedAt ?? Date.now()]);
    const r = decodeDatagram(datagram);
    if (!r.ok) {
      this.stats.decodeErrors++;
      if (this.listenerCount('decode_error') > 0) this.safeEmit('decode_error', [r.error, datagram]);
      return undefined;
    }
    const event = r.value;
    this.stats.events++;
    this.state.apply(event);
    this.requests.onEvent(event);
    if (r.length < datagram.length) {
      this.stats.trailingBytes++;
      if (this.listenerCount('trailing_bytes') > 0) this.safeEmit('trailing_bytes', [event, datagram.length - r.length, datagram], event);
    }
    this.safeEmit(event.type, [event] as never, event);
    this.safeEmit('event', [event], event);
    if (this.subscribers.size > 0) this.callSubscribers(event);
    for (const q of this.queues) q.push(event);
    return event;
  }

  private safeEmit<K extends keyof AcUdpClientEvents>(name: K, args: AcUdpClientEvents[K], event?: AcspEvent): void {
    try {
      (this.emit as (n: K, ...a: unknown[]) => boolean)(name, ...(args as unknown[]));
    } catch (err) {
      this.listenerFailed(err, event);
    }
  }

  private listenerFailed(err: unknown, event: AcspEvent | undefined): void {
    this.stats.listenerErrors++;
    if (event && this.listenerCount('listener_error') > 0) {
      try {
        this.emit('listener_error', err, event);
        return;
      } catch {
        // fall through to the warning
      }
    }
    process.emitWarning(`AcUdpClient: a listener threw${event ? ` on ${event.type}` : ''}: ${err instanceof Error ? err.message : String(err)}`);
  }

  private callSubscribers(event: AcspEvent): void {
    const method = `on_${acspNameOf(event)}`;
    for (const s of this.subscribers) {
      const fn = (s as Record<string, unknown>)[method];
      if (typeof fn !== 'function') continue;
      try {
        fn.call(s, event);
      } catch (err) {
        this.listenerFailed(err, event);
      }
    }
  }

  /** Adds an acudpclient-style subscriber (`on_ACSP_LAP_COMPLETED(event)` ...). Returns false if it was already there. */
  subscribe(subscriber: AcudpSubscriber): boolean {
    if (this.subscribers.has(subscriber)) return false;
    this.subscribers.add(subscriber);
    return true;
  }

  /** Removes a subscriber. Returns false if it was not there. */
  unsubscribe(subscriber: AcudpSubscriber): boolean {
    return this.subscribers.delete(subscriber);
  }

  /**
   * An async iterator of events, from now on. `maxBuffer` bounds what waits for a slow consumer
   * (the oldest are dropped and counted in the iterator's `dropped`). Ends when the client closes.
   */
  events(options: { maxBuffer?: number; types?: readonly EventName[] } = {}): EventQueue {
    const types = options.types ? new Set<string>(options.types) : undefined;
    const q = new EventQueue(Math.max(1, options.maxBuffer ?? 10_000), types ? (e) => types.has(e.type) : undefined, (x) => this.queues.delete(x));
    if (this.closed) q.end();
    else this.queues.add(q);
    return q;
  }

  [Symbol.asyncIterator](): EventQueue {
    return this.events();
  }

  /**
   * Sends a command. Validation happens first: a bad car id or a text over 255 characters rejects
   * with BAD_COMMAND and nothing is sent.
   */
  async send(command: AcspCommand): Promise<void> {
    const clean = withCleanText(command);
    return this.transmit(clean, this.encode(clean));
  }

  private encode(command: AcspCommand): Buffer {
    try {
      return encodeCommand(command);
    } catch (err) {
      if (err instanceof AcspEncodeError) throw new AcUdpError('BAD_COMMAND', `${command.type} refused: ${err.message}`, { cause: err });
      throw err;
    }
  }

  private listeningSocket(command: AcspCommand): dgram.Socket {
    if (!this.socket) throw new AcUdpError('NOT_LISTENING', `cannot send ${command.type}: the client is not listening (call listen() first; a replay has no server)`);
    return this.socket;
  }

  private async transmit(command: AcspCommand, buf: Buffer): Promise<void> {
    const socket = this.listeningSocket(command);
    await new Promise<void>((resolve, reject) => {
      // A socket closed mid-send may never call back: close() fails what is still in flight.
      const inFlight = (err: Error) => reject(err);
      this.sending.add(inFlight);
      socket.send(buf, this.options.serverPort, this.options.serverHost, (err) => {
        this.sending.delete(inFlight);
        if (err) reject(new AcUdpError('SEND_FAILED', `sending ${command.type} to ${this.options.serverHost}:${this.options.serverPort} failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
    this.stats.commandsSent++;
    if (this.listenerCount('sent') > 0) this.emit('sent', command, buf);
  }

  /** REALTIMEPOS_INTERVAL: a CAR_UPDATE per connected car every `intervalMs` (0 = off). */
  setRealtimeInterval(intervalMs: number): Promise<void> {
    return this.send({ type: 'realtimepos_interval', intervalMs });
  }

  /** GET_CAR_INFO, resolved by the CAR_INFO for that car; TIMEOUT or AC_ERROR otherwise. */
  async getCarInfo(carId: number, options: { timeoutMs?: number } = {}): Promise<CarInfoEvent> {
    return this.request({ type: 'get_car_info', carId }, () => this.requests.carInfo(carId, options.timeoutMs ?? this.options.requestTimeoutMs));
  }

  /** GET_SESSION_INFO (-1 = the current session), resolved by the matching SESSION_INFO. */
  async getSessionInfo(sessionIndex = -1, options: { timeoutMs?: number } = {}): Promise<SessionInfoEvent> {
    return this.request({ type: 'get_session_info', sessionIndex }, () => this.requests.sessionInfo(sessionIndex, options.timeoutMs ?? this.options.requestTimeoutMs));
  }

  /** Sends a question and waits for its answer; the wait is registered first, so a fast answer is not missed. */
  private async request<T>(command: AcspCommand, wait: () => Promise<T>): Promise<T> {
    const buf = this.encode(command);
    this.listeningSocket(command);
    const answer = wait();
    // Settled by close() or a timeout while the send is still awaited: handled below, not unhandled.
    answer.catch(() => {});
    try {
      await this.transmit(command, buf);
    } catch (err) {
      this.requests.cancelLast(err as Error);
    }
    return answer;
  }

  /** SET_SESSION_INFO (time and wait time in seconds here). */
  setSessionInfo(info: Omit<SetSessionInfoCommand, 'type'>): Promise<void> {
    return this.send({ type: 'set_session_info', ...info });
  }

  /** SEND_CHAT to one driver. */
  sendChat(carId: number, message: string): Promise<void> {
    return this.send({ type: 'send_chat', carId, message });
  }

  /** BROADCAST_CHAT to everyone. */
  broadcastChat(message: string): Promise<void> {
    return this.send({ type: 'broadcast_chat', message });
  }

  /** KICK_USER. */
  kick(carId: number): Promise<void> {
    return this.send({ type: 'kick_user', carId });
  }

  /** NEXT_SESSION. */
  nextSession(): Promise<void> {
    return this.send({ type: 'next_session' });
  }

  /** RESTART_SESSION. */
  restartSession(): Promise<void> {
    return this.send({ type: 'restart_session' });
  }

  /** ADMIN_COMMAND: a server admin chat command such as `/ballast 0 50`. */
  adminCommand(command: string): Promise<void> {
    return this.send({ type: 'admin_command', command });
  }
}

/**
 * Control characters (NUL, escapes; tab is kept) and bidirectional overrides do not belong in
 * what drivers read: a NUL ends the text early in the game, an override reverses what follows.
 */
const UNSAFE_TEXT = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function cleanChatText(text: string): string {
  return text.replace(UNSAFE_TEXT, '');
}

function withCleanText(command: AcspCommand): AcspCommand {
  if (command.type === 'send_chat' || command.type === 'broadcast_chat') return { ...command, message: cleanChatText(command.message) };
  return command;
}
