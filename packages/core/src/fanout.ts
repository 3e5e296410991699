import type { Logger } from 'pino';
import type { Bus, Message, Policy, Subscription } from './bus.js';

/**
 * The one road from the bus to clients, whatever the transport (the gateway websocket, a plugin's
 * wire-exact feed, socket.io, a line protocol): a client is a Peer behind a PeerLink that counts
 * every byte queued to it, replies included; a BusFeed subscribes it to topics with the `latest` or
 * `queue` policy and a frame encoded once per message for every client; a slow client is paused,
 * then closed with a reason. A plugin that speaks an existing protocol writes only its encoder.
 */

/** One client connection, as the fan-out sees it. */
export interface Peer {
  readonly id: string;
  /** Bytes this process holds for the client, not yet handed to the OS. */
  buffered(): number;
  /**
   * Queues a frame. A Buffer must not change afterwards: it may still sit in a corked socket, and
   * a transport may frame it once for every client it goes to (the ws peer does).
   */
  write(frame: string | Buffer): void;
  /** Ends the connection for being too slow, with the reason where the transport can carry one. */
  end(reason: string): void;
}

export interface Bounds {
  /** Above this many unsent bytes the client is busy: `offer`s are skipped, subscriptions pause (conflate or queue). */
  highWaterBytes: number;
  /** Above this many unsent bytes the client is closed. */
  maxBufferedBytes: number;
  /** A busy client that does not drain within this long is closed. */
  stallMs: number;
}

export const DEFAULT_BOUNDS: Bounds = { highWaterBytes: 1 << 20, maxBufferedBytes: 8 << 20, stallMs: 10_000 };

/** One client with every queued byte counted against its bound. */
export class PeerLink {
  private closing = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private busySince = 0;
  private readonly drained = new Set<() => void>();

  constructor(
    readonly peer: Peer,
    private readonly bounds: Bounds,
    private readonly logger: Logger,
  ) {}

  get closed(): boolean {
    return this.closing;
  }

  /**
   * Acknowledged flow, for a client that says how many data frames it has read: at most `window`
   * frames unacknowledged, past that it is busy like a client above the high-water mark (so `latest`
   * conflates what it has not read yet, however much the kernel would take). 0: off.
   */
  private window = 0;
  private dataSent = 0;
  private dataAcked = 0;

  /** Above the high-water mark, or a full window: a late frame for it is better skipped. */
  get busy(): boolean {
    return this.peer.buffered() > this.bounds.highWaterBytes || this.windowFull();
  }

  private windowFull(): boolean {
    return this.window > 0 && this.dataSent - this.dataAcked >= this.window;
  }

  /** Drained: a quarter of the high-water mark, and with a window at most half of it unacknowledged. */
  private drainedEnough(): boolean {
    return this.peer.buffered() <= this.bounds.highWaterBytes / 4 && (this.window === 0 || this.dataSent - this.dataAcked <= this.window / 2);
  }

  /** Turns acknowledged flow on (`frames` > 0) or off (0). */
  setWindow(frames: number): void {
    this.window = frames;
  }

  /**
   * Sends a subscription's frame: like `send`, and counted as a data frame (the frames a client
   * acknowledges), the link marked busy when that fills the window.
   */
  sendData(frame: string | Buffer): boolean {
    if (!this.send(frame)) return false;
    this.dataSent++;
    if (this.windowFull()) this.busyAfterSend = true;
    return true;
  }

  /** The client has read `count` data frames since it connected; an error text when that cannot be. */
  ack(count: number): string | undefined {
    if (!Number.isSafeInteger(count) || count < this.dataAcked || count > this.dataSent) {
      return `"count" must be an integer from ${this.dataAcked} (the last acknowledged) to ${this.dataSent} (the data frames sent), got ${count}`;
    }
    this.dataAcked = count;
    if (this.drainTimer && this.drainedEnough()) this.resume();
    return undefined;
  }

  /** Whether the client was above the high-water mark right after the last `send` (no second look at the socket). */
  busyAfterSend = false;

  /** Sends a frame that must arrive (a reply, an event, a status); false when the client is closed or was just closed for it. */
  send(frame: string | Buffer): boolean {
    if (this.closing) return false;
    this.peer.write(frame);
    const backlog = this.peer.buffered();
    this.busyAfterSend = backlog > this.bounds.highWaterBytes;
    if (backlog <= this.bounds.maxBufferedBytes) return true;
    this.close(`more than ${this.bounds.maxBufferedBytes} bytes unsent`);
    return false;
  }

  /** Sends a frame that a newer one replaces (telemetry), unless the client is busy; false when skipped. */
  offer(frame: string | Buffer): boolean {
    if (this.closing || this.busy) return false;
    return this.send(frame);
  }

  /**
   * Calls `fn` once the client has drained to a quarter of the high-water mark (and, with a window,
   * acknowledged all but half of it); closes it if that takes longer than `stallMs`.
   */
  whenDrained(fn: () => void): void {
    this.drained.add(fn);
    if (this.drainTimer) return;
    this.busySince = Date.now();
    this.drainTimer = setInterval(() => {
      if (this.closing) return this.dispose();
      if (this.drainedEnough()) this.resume();
      else if (Date.now() - this.busySince > this.bounds.stallMs) this.close(`no data read for ${this.bounds.stallMs} ms`);
    }, 20);
  }

  private resume(): void {
    this.dispose();
    const callbacks = [...this.drained];
    this.drained.clear();
    for (const cb of callbacks) cb();
  }

  close(why: string): void {
    if (this.closing) return;
    this.closing = true;
    this.dispose();
    this.drained.clear();
    this.logger.warn({ client: this.peer.id }, `disconnecting slow client: ${why}`);
    this.peer.end(`client too slow: ${why}`);
  }

  dispose(): void {
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = undefined;
  }
}

/** Sends one frame to many clients: `send` (must arrive) or `offer` (skipped for busy clients). */
export function broadcast(links: Iterable<PeerLink>, frame: string | Buffer, how: 'send' | 'offer'): { sent: number; skipped: number } {
  let sent = 0;
  let skipped = 0;
  for (const link of links) {
    if (how === 'send' ? link.send(frame) : link.offer(frame)) sent++;
    else if (!link.closed) skipped++;
  }
  return { sent, skipped };
}

/** An encoder that runs once per message, however many clients get it. */
export function encodeOnce<F>(encode: (m: Message) => F): (m: Message) => F {
  const cache = new WeakMap<Message, F>();
  return (m) => {
    let frame = cache.get(m);
    if (frame === undefined) {
      frame = encode(m);
      cache.set(m, frame);
    }
    return frame;
  };
}

export interface BusFeedOptions {
  /** Bound of a `queue` subscription, messages. */
  maxQueue: number;
  /** Told how many `queue` messages were dropped while the client was paused, once it catches up. */
  onDropped?(count: number): void;
  /** After each message handed to the client (metrics). */
  onDelivered?(message: Message): void;
}

/**
 * One client's subscriptions: messages matching its patterns, encoded once, sent through its link.
 * While the client is busy its subscriptions pause (`latest` keeps the newest per topic and key,
 * `queue` keeps order up to `maxQueue` and counts the rest) and resume once it drains.
 */
export class BusFeed {
  private readonly subs = new Map<Policy, Subscription>();
  private paused = false;
  private droppedUnreported = 0;

  constructor(
    private readonly link: PeerLink,
    private readonly bus: Pick<Bus, 'subscribe'>,
    private readonly encode: (m: Message) => string | Buffer,
    private readonly options: BusFeedOptions,
  ) {}

  /** Patterns held, over both policies. */
  get patternCount(): number {
    let n = 0;
    for (const s of this.subs.values()) n += s.patterns.length;
    return n;
  }

  /** Adds patterns under a policy; retained messages of new patterns are delivered at once. */
  subscribe(patterns: readonly string[], policy: Policy): void {
    const existing = this.subs.get(policy);
    if (existing) {
      existing.add(patterns);
      return;
    }
    const sub = this.bus.subscribe(patterns, (m) => this.deliver(m), { policy, maxQueue: this.options.maxQueue, onDrop: () => void this.droppedUnreported++ });
    this.subs.set(policy, sub);
    if (this.paused) sub.pause();
  }

  unsubscribe(patterns: readonly string[]): void {
    for (const s of this.subs.values()) s.remove(patterns);
  }

  dispose(): void {
    for (const s of this.subs.values()) s.unsubscribe();
    this.subs.clear();
    this.link.dispose();
  }

  private deliver(message: Message): void {
    const link = this.link;
    if (!link.sendData(this.encode(message))) return this.dispose();
    this.options.onDelivered?.(message);
    if (link.busyAfterSend && !this.paused) this.pause();
  }

  private pause(): void {
    this.paused = true;
    for (const s of this.subs.values()) s.pause();
    this.link.whenDrained(() => {
      if (this.droppedUnreported > 0) {
        this.options.onDropped?.(this.droppedUnreported);
        this.droppedUnreported = 0;
      }
      this.paused = false;
      for (const s of this.subs.values()) s.resume();
    });
  }
}
