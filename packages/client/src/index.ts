/**
 * @acgateway/client: the gateway websocket protocol (README, "The gateway websocket protocol") as
 * a small object, for browsers (the native WebSocket) and Node (`ws`, or Node 22's WebSocket).
 *
 *   const gw = connect('ws://127.0.0.1:8090/', { token });
 *   gw.subscribe('acudp/lap_completed', (m) => console.log(m.data));
 *   await gw.command('ac broadcast "Race starts in 5"');
 *   for await (const m of gw.stream('rf2/telemetry')) { ... }
 *
 * It reconnects with backoff and resubscribes (retained values come again on each subscribe),
 * surfaces `dropped` frames as events, and rejects a command with a GatewayError carrying the
 * server's code. No dependency in the browser.
 */

export interface Message<T = unknown> {
  topic: string;
  /** ms since the epoch, when it was published at its source. */
  ts: number;
  data: T;
  /** True for a topic's retained value (the last one, kept for new subscribers). */
  retained?: boolean;
}

export type Policy = 'latest' | 'queue';

export interface Welcome {
  server: string;
  version: string;
  apiVersion: number;
  role: 'admin' | 'read';
}

/** A command's error reply (`code` as the server sends it: UNKNOWN_VERB, FORBIDDEN ...) or a client-side failure (TIMEOUT, DISCONNECTED, CLOSED, REFUSED). */
export class GatewayError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** The part of a WebSocket this client uses (the browser's, undici's and `ws` all have it). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}
export type WebSocketConstructor = new (url: string, protocols?: unknown, options?: unknown) => WebSocketLike;

export interface ConnectOptions {
  /** The gateway's `token` or `readToken`. Sent as `Authorization: Bearer` with `ws`, in `?token=` with a browser's WebSocket (which cannot set headers). */
  token?: string;
  /** A WebSocket class; default the global one, else `ws` (Node 20). */
  WebSocket?: WebSocketConstructor;
  /** Reconnect after a close (default true), waiting `minDelayMs` doubling to `maxDelayMs`, with jitter. */
  reconnect?: boolean;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** How long `command` waits for its reply, connecting included (default 10 s). */
  commandTimeoutMs?: number;
  /**
   * Acknowledged flow: the gateway sends at most this many data frames this client has not
   * acknowledged; the client acknowledges each quarter of it once its handlers have run. A `latest`
   * subscription then gets the newest value when it catches up instead of what queued in the
   * network's buffers (fresh telemetry for a slow dashboard); a `queue` one waits in the gateway's
   * bounded queue. Off by default (0); 32 to 256 suit telemetry.
   */
  window?: number;
}

export interface Dropped {
  count: number;
  reason: string;
}

/** A closed connection: its close code, and when the client tries again (none after `close()` or with `reconnect: false`). */
export interface Closed {
  code: number;
  reason: string;
  /** Connection attempts since the last welcome, this one included. */
  attempt: number;
  /** ms until the next attempt; undefined when there is none. */
  retryInMs?: number;
}

interface Events {
  open: Welcome;
  close: Closed;
  dropped: Dropped;
  error: GatewayError;
}

export interface StreamOptions {
  policy?: Policy;
  /** Messages kept for a slow reader; past it the oldest go and `dropped` counts them (default 1000). */
  max?: number;
}

/** Stops a subscription; `ready` resolves when the gateway has confirmed it (its retained values are then on their way). */
export interface Unsubscribe {
  (): void;
  readonly ready: Promise<void>;
}

export interface MessageStream<T> extends AsyncIterableIterator<Message<T>> {
  /** Resolves when the gateway has confirmed the subscription. */
  readonly ready: Promise<void>;
  /** Messages this stream dropped because its reader was slow. */
  readonly dropped: number;
  close(): void;
}

interface Sub {
  patterns: string[];
  /** Resolves at the gateway's `subscribed` for these patterns (on the first connection that sends it). */
  acked: () => void;
  match: Array<(topic: string) => boolean>;
  policy: Policy;
  handler: (m: Message) => void;
}

/** An MQTT-style pattern (`+` one level, `#` the rest) as a test. */
export function topicMatcher(pattern: string): (topic: string) => boolean {
  const p = pattern.split('/');
  return (topic) => {
    const t = topic.split('/');
    for (let i = 0; i < p.length; i++) {
      if (p[i] === '#') return true;
      if (i >= t.length || (p[i] !== '+' && p[i] !== t[i])) return false;
    }
    return t.length === p.length;
  };
}

const OPEN = 1;

/**
 * Topic -> payload type, for typed subscriptions: `connect<AcudpTopics>(url)` (from
 * `@acgateway/plugin-acudp`, or any plugin's `TopicMap<typeof itsTopics>`); merge several with `&`.
 * Patterns that are not in the map (wildcards, other plugins) still work, with `unknown` data.
 */
export type TopicTypes = object;

/** A topic of M, or any other pattern (typed `unknown`). */
type TopicOf<M> = (keyof M & string) | (string & {});
type DataOf<M, K> = K extends keyof M ? M[K] : unknown;

export class Gateway<M extends TopicTypes = Record<string, unknown>> {
  /** The role the gateway gave this connection (after the first welcome). */
  role: Welcome['role'] | undefined;
  private ws: WebSocketLike | undefined;
  private readonly subs = new Set<Sub>();
  private readonly pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: GatewayError) => void; timer: ReturnType<typeof setTimeout> }>();
  private readonly listeners: { [K in keyof Events]: Set<(e: Events[K]) => void> } = { open: new Set(), close: new Set(), dropped: new Set(), error: new Set() };
  private nextId = 0;
  private attempt = 0;
  /** Data frames received on this connection, and the count last acknowledged (acknowledged flow). */
  private received = 0;
  private acked = 0;
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private refusal: string | undefined;
  private waiters: Array<{ ok: () => void; fail: (e: GatewayError) => void }> = [];

  constructor(
    readonly url: string,
    private readonly options: ConnectOptions = {},
  ) {
    void this.open();
  }

  /** Whether the connection is open and welcomed. */
  get connected(): boolean {
    return this.ws?.readyState === OPEN && this.role !== undefined;
  }

  /** Resolves when the connection is open and welcomed (at once if it is). */
  ready(timeoutMs = this.options.commandTimeoutMs ?? 10_000): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.closed) return Promise.reject(new GatewayError(this.refusal ? 'REFUSED' : 'CLOSED', this.refusal ?? 'the client was closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new GatewayError('TIMEOUT', `not connected to ${this.url} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        ok: () => {
          clearTimeout(timer);
          resolve();
        },
        fail: (e: GatewayError) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.push(waiter);
    });
  }

  on<K extends keyof Events>(event: K, fn: (e: Events[K]) => void): () => void {
    this.listeners[event].add(fn);
    return () => void this.listeners[event].delete(fn);
  }

  /** Calls `handler` for every message on the patterns (retained ones first); returns the unsubscribe. Kept across reconnects. */
  subscribe<K extends TopicOf<M>>(patterns: K | readonly K[], handler: (m: Message<DataOf<M, K>>) => void, options: { policy?: Policy } = {}): Unsubscribe {
    const list: string[] = typeof patterns === 'string' ? [patterns] : [...(patterns as readonly string[])];
    let acked!: () => void;
    const ready = new Promise<void>((r) => (acked = r));
    const sub: Sub = { patterns: list, acked, match: list.map(topicMatcher), policy: options.policy ?? 'latest', handler: handler as (m: Message) => void };
    this.subs.add(sub);
    if (this.connected) this.send({ op: 'subscribe', topics: list, policy: sub.policy });
    const unsubscribe = () => {
      if (!this.subs.delete(sub)) return;
      const still = new Set([...this.subs].flatMap((s) => s.patterns));
      const gone = list.filter((p) => !still.has(p));
      if (gone.length && this.connected) this.send({ op: 'unsubscribe', topics: gone });
    };
    return Object.assign(unsubscribe, { ready });
  }

  /** The messages on the patterns as an async iterator (`for await`); `close()` or `break` ends it. */
  stream<K extends TopicOf<M>>(patterns: K | readonly K[], options: StreamOptions = {}): MessageStream<DataOf<M, K>> {
    type T = DataOf<M, K>;
    const max = options.max ?? 1000;
    const queue: Message<T>[] = [];
    let wake: ((r: IteratorResult<Message<T>>) => void) | undefined;
    let dropped = 0;
    let done = false;
    const unsubscribe = this.subscribe<K>(
      patterns,
      (m: Message<T>) => {
        if (wake) {
          const w = wake;
          wake = undefined;
          return w({ value: m, done: false });
        }
        queue.push(m);
        if (queue.length > max) {
          queue.shift();
          dropped++;
        }
      },
      { policy: options.policy },
    );
    const end = () => {
      if (done) return;
      done = true;
      unsubscribe();
      wake?.({ value: undefined, done: true });
      wake = undefined;
    };
    const stream: MessageStream<T> = {
      ready: unsubscribe.ready,
      get dropped() {
        return dropped;
      },
      close: end,
      next: () => {
        if (queue.length) return Promise.resolve({ value: queue.shift()!, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (wake = resolve));
      },
      return: () => {
        end();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return stream;
      },
    };
    return stream;
  }

  /**
   * Runs a command line (`'ac broadcast "Race starts in 5"'`, `'@track1 ac kick 3'`) or a verb with
   * its arguments (`command('ac chat', ['3', 'hello'])`); resolves to the reply's data or rejects
   * with a GatewayError with the server's code. Waits for the connection if it is not open yet.
   */
  async command<T = unknown>(lineOrVerb: string, args?: readonly string[]): Promise<T> {
    const timeoutMs = this.options.commandTimeoutMs ?? 10_000;
    const started = Date.now();
    await this.ready(timeoutMs);
    const id = `c${++this.nextId}`;
    const frame = args ? { op: 'command', id, verb: lineOrVerb, args } : { op: 'command', id, line: lineOrVerb };
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new GatewayError('TIMEOUT', `no reply to "${lineOrVerb}" within ${timeoutMs} ms`));
      }, Math.max(1, timeoutMs - (Date.now() - started)));
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.send(frame);
    });
  }

  /** Closes for good: no reconnect; pending commands reject with CLOSED. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.failPending('CLOSED', 'the client was closed');
    for (const w of this.waiters.splice(0)) w.fail(new GatewayError('CLOSED', 'the client was closed'));
    this.ws?.close(1000, 'client closed');
  }

  private emit<K extends keyof Events>(event: K, e: Events[K]): void {
    for (const fn of this.listeners[event]) fn(e);
  }

  private send(frame: unknown): void {
    if (this.ws?.readyState === OPEN) this.ws.send(JSON.stringify(frame));
  }

  private async open(): Promise<void> {
    let Impl = this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    const headers = Boolean(this.options.WebSocket) || !Impl;
    if (!Impl) Impl = ((await import('ws')) as unknown as { default: WebSocketConstructor }).default;
    if (this.closed) return;
    let url = this.url;
    if (this.options.token && !headers) url += `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(this.options.token)}`;
    const ws = headers && this.options.token ? new Impl(url, undefined, { headers: { authorization: `Bearer ${this.options.token}` } }) : new Impl(url);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (ev) => this.onFrame(typeof ev.data === 'string' ? ev.data : String(ev.data));
    ws.onerror = (ev) => {
      const message = (ev as { message?: string; error?: { message?: string } }).message ?? (ev as { error?: { message?: string } }).error?.message ?? 'connection failed';
      // A refusal at the upgrade (wrong token 401, foreign page 403) will not fix itself by retrying.
      const refused = !opened && /\b40[13]\b/.test(message);
      this.emit('error', new GatewayError(refused ? 'REFUSED' : 'CONNECT_FAILED', `${this.url}: ${message}`));
      if (refused) {
        this.refusal = `${this.url} refused the connection: ${message}`;
        this.closed = true;
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.role = undefined;
      this.failPending('DISCONNECTED', `the connection to ${this.url} closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})`);
      const attempt = ++this.attempt;
      if (this.closed || this.options.reconnect === false) {
        this.closed = true;
        this.emit('close', { code: ev.code, reason: ev.reason, attempt });
        for (const w of this.waiters.splice(0)) w.fail(new GatewayError(this.refusal ? 'REFUSED' : 'CLOSED', this.refusal ?? `the connection to ${this.url} closed`));
        return;
      }
      const min = this.options.minDelayMs ?? 250;
      const max = this.options.maxDelayMs ?? 5000;
      const delay = Math.round(Math.min(max, min * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5));
      this.emit('close', { code: ev.code, reason: ev.reason, attempt, retryInMs: delay });
      this.retry = setTimeout(() => void this.open(), delay);
    };
  }

  private onFrame(raw: string): void {
    let f: { op?: string; topics?: unknown; topic?: string; ts?: number; data?: unknown; retained?: boolean; id?: unknown; error?: { code: string; message: string }; count?: number; reason?: string } & Partial<Welcome>;
    try {
      f = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof f.topic === 'string') {
      const m: Message = f.retained ? { topic: f.topic, ts: f.ts ?? 0, data: f.data, retained: true } : { topic: f.topic, ts: f.ts ?? 0, data: f.data };
      for (const s of this.subs) if (s.match.some((x) => x(m.topic))) s.handler(m);
      const window = this.options.window ?? 0;
      if (window > 0 && ++this.received - this.acked >= Math.max(1, Math.floor(window / 4))) {
        this.acked = this.received;
        this.send({ op: 'ack', count: this.received });
      }
      return;
    }
    if (f.id !== undefined && f.op === undefined) {
      const p = this.pending.get(String(f.id));
      if (!p) return;
      this.pending.delete(String(f.id));
      clearTimeout(p.timer);
      if (f.error) p.reject(new GatewayError(f.error.code, f.error.message));
      else p.resolve(f.data ?? null);
      return;
    }
    if (f.op === 'welcome') {
      this.role = f.role;
      this.attempt = 0;
      this.received = 0;
      this.acked = 0;
      if (this.options.window) this.send({ op: 'window', frames: this.options.window });
      const byPolicy = new Map<Policy, Set<string>>();
      for (const s of this.subs) {
        const set = byPolicy.get(s.policy) ?? new Set<string>();
        for (const p of s.patterns) set.add(p);
        byPolicy.set(s.policy, set);
      }
      for (const [policy, topics] of byPolicy) this.send({ op: 'subscribe', topics: [...topics], policy });
      for (const w of this.waiters.splice(0)) w.ok();
      this.emit('open', { server: f.server ?? '', version: f.version ?? '', apiVersion: f.apiVersion ?? 0, role: f.role ?? 'read' });
    } else if (f.op === 'subscribed' && Array.isArray(f.topics)) {
      const confirmed = new Set(f.topics as string[]);
      for (const s of this.subs) if (s.patterns.every((p) => confirmed.has(p))) s.acked();
    } else if (f.op === 'dropped') {
      this.emit('dropped', { count: f.count ?? 0, reason: f.reason ?? '' });
    } else if (f.op === 'error' && f.error) {
      this.emit('error', new GatewayError(f.error.code, f.error.message));
    }
  }

  private failPending(code: string, message: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new GatewayError(code, message));
      this.pending.delete(id);
    }
  }
}

/** Opens a connection to a gateway websocket (`ws://127.0.0.1:8090/`). */
export function connect<M extends TopicTypes = Record<string, unknown>>(url: string, options: ConnectOptions = {}): Gateway<M> {
  return new Gateway<M>(url, options);
}
