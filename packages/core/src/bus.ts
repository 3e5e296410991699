import { compilePattern, validateTopic } from './topics.js';
import { checkPattern, Subscription } from './subscription.js';

export { Subscription };
import { AcgError } from './errors.js';

/** What travels on the bus. `ts` is ms since epoch, set at publish. */
export interface Message<T = unknown> {
  readonly topic: string;
  readonly ts: number;
  readonly data: T;
  /** Conflation key within the topic (e.g. a car id): `latest` keeps the newest per topic and key. */
  readonly key?: string;
  /** Who published it: the plugin (stamped by its bus view), or a bridge for imported messages. Not sent to clients. */
  readonly publisher?: string;
  /** Published as the topic's retained value (a bridge keeps it retained on the other side). */
  readonly retain?: boolean;
}

export type Policy = 'latest' | 'queue';

export interface SubscribeOptions {
  /**
   * `latest` (default): while the subscriber is paused only the newest message per topic is kept
   * (telemetry, where a late frame is worthless). `queue`: ordered and bounded (events, where loss
   * matters); past the bound the oldest is dropped, counted and reported through `onDrop`.
   */
  policy?: Policy;
  /** Bound of the queue policy (messages). Default 1000. */
  maxQueue?: number;
  /** Bound of the latest policy (distinct topics, or topic and key pairs, held while paused). Default 10000. */
  maxTopics?: number;
  /** Deliver retained messages matching the patterns at once. Default true. */
  retained?: boolean;
  /** Told of every message dropped for this subscriber. */
  onDrop?: (message: Message, reason: 'queue-full' | 'topics-full') => void;
}

export interface PublishOptions {
  /** Keep this message as the topic's retained value: new subscribers get it at once. */
  retain?: boolean;
  /** Timestamp to use instead of the clock's now (ms since epoch), e.g. for replayed data. */
  ts?: number;
  /**
   * Conflation key: several entities on one topic (every car's update on `acudp/car_update`) are
   * conflated per key by `latest` subscribers, so a slow client still gets every car's newest update.
   */
  key?: string;
  /** Who publishes (a plugin's bus view sets it). */
  publisher?: string;
}

export type MessageHandler = (message: Message) => void;

/** Data-path interception: return the message (possibly a new one) or null to drop it. */
export type PublishFilter = (message: Message) => Message | null;

export interface BusStats {
  published: number;
  filtered: number;
  subscriptions: number;
  retainedTopics: number;
}

/** The small interface a broker bridge has to implement too: publish, subscribe, retained values. */
export interface BusLike {
  publish<T>(topic: string, data: T, options?: PublishOptions): Message<T> | null;
  subscribe(patterns: string | readonly string[], handler: MessageHandler, options?: SubscribeOptions): Subscription;
  retained(pattern: string): Message[];
}

export interface BusHooks {
  /** Transform or drop a message before it is published (the `publish` data-path hook). */
  filter?: PublishFilter;
  /** Told of each published message (metrics). */
  onPublish?: (message: Message, subscribers: number) => void;
  onDrop?: (message: Message) => void;
  onConflate?: (message: Message) => void;
  onHandlerError?: (err: unknown, message: Message) => void;
}

/**
 * In-process publish/subscribe with MQTT-style patterns and per-subscriber policies.
 * Delivery is synchronous while a subscriber keeps up; a paused subscriber holds a bounded backlog.
 */
export class Bus implements BusLike {
  private readonly subs = new Set<Subscription>();
  private readonly retainedByTopic = new Map<string, Message>();
  /** Subscribers per topic, computed on first publish and dropped when subscriptions change. */
  private routeCache = new Map<string, Subscription[]>();
  readonly stats: BusStats = { published: 0, filtered: 0, subscriptions: 0, retainedTopics: 0 };
  private readonly watchers = new Set<() => void>();
  private readonly clearWatchers = new Set<(topic: string) => void>();
  private watchPending = false;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly hooks: BusHooks = {},
  ) {}

  /** Installs the data-path hooks after construction (the host wires them to tapable). */
  setHooks(hooks: BusHooks): void {
    Object.assign(this.hooks, hooks);
  }

  publish<T>(topic: string, data: T, options: PublishOptions = {}): Message<T> | null {
    const problem = validateTopic(topic);
    if (problem) throw new AcgError('BAD_TOPIC', problem);
    let message: Message | null = { topic, ts: options.ts ?? this.now(), data, key: options.key, publisher: options.publisher, retain: options.retain === true };
    if (this.hooks.filter) {
      message = this.hooks.filter(message);
      if (!message) {
        this.stats.filtered++;
        return null;
      }
    }
    this.stats.published++;
    if (options.retain) {
      this.retainedByTopic.set(message.topic, message);
      this.stats.retainedTopics = this.retainedByTopic.size;
    }
    const targets = this.route(message.topic);
    this.hooks.onPublish?.(message, targets.length);
    for (let i = 0; i < targets.length; i++) targets[i]!.deliver(message);
    return message as Message<T>;
  }

  subscribe(patterns: string | readonly string[], handler: MessageHandler, options: SubscribeOptions = {}): Subscription {
    const list = typeof patterns === 'string' ? [patterns] : [...patterns];
    for (const p of list) checkPattern(p);
    const sub = new Subscription(this, list, handler, options);
    this.subs.add(sub);
    this.stats.subscriptions = this.subs.size;
    this.subscriptionsChanged();
    sub.deliverRetainedNow();
    return sub;
  }

  /** Retained messages whose topic matches the pattern. */
  retained(pattern: string): Message[] {
    checkPattern(pattern);
    const match = compilePattern(pattern);
    const out: Message[] = [];
    for (const m of this.retainedByTopic.values()) if (match(m.topic)) out.push(m);
    return out;
  }

  /** The retained message of one topic, if any. */
  last<T = unknown>(topic: string): Message<T> | undefined {
    return this.retainedByTopic.get(topic) as Message<T> | undefined;
  }

  /** Forget a topic's retained value (e.g. a source that went away); bridges are told (`watchCleared`). */
  clearRetained(topic: string): void {
    if (!this.retainedByTopic.delete(topic)) return;
    this.stats.retainedTopics = this.retainedByTopic.size;
    for (const fn of this.clearWatchers) fn(topic);
  }

  /** Calls `fn` with each topic whose retained value is cleared; returns a stop function. */
  watchCleared(fn: (topic: string) => void): () => void {
    this.clearWatchers.add(fn);
    return () => void this.clearWatchers.delete(fn);
  }

  /** Whether anyone would receive a message on this topic: skip costly work nobody listens to. */
  hasSubscribers(topic: string): boolean {
    return this.route(topic).length > 0;
  }

  get subscriptionCount(): number {
    return this.subs.size;
  }

  /** Every pattern subscribed now (each once): what a bridge needs to ask its broker for. */
  patterns(): string[] {
    const all = new Set<string>();
    for (const s of this.subs) for (const p of s.patterns) all.add(p);
    return [...all];
  }

  /** Calls `fn` (at most once per turn of the event loop) when subscriptions change; returns a stop function. */
  watchSubscriptions(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => void this.watchers.delete(fn);
  }

  /** @internal */
  subscriptionsChanged(): void {
    this.routeCache.clear();
    if (this.watchers.size === 0 || this.watchPending) return;
    this.watchPending = true;
    setImmediate(() => {
      this.watchPending = false;
      for (const w of this.watchers) {
        try {
          w();
        } catch (err) {
          this.hooks.onHandlerError?.(err, { topic: '(subscriptions)', ts: this.now(), data: null });
        }
      }
    });
  }

  /** @internal */
  removeSubscription(sub: Subscription): void {
    this.subs.delete(sub);
    this.stats.subscriptions = this.subs.size;
    this.subscriptionsChanged();
  }

  /** @internal */
  countDrop(message: Message): void {
    this.hooks.onDrop?.(message);
  }

  /** @internal a `latest` subscriber replaced a pending message by a newer one. */
  countConflated(message: Message): void {
    this.hooks.onConflate?.(message);
  }

  /** @internal */
  handlerFailed(err: unknown, message: Message): void {
    if (this.hooks.onHandlerError) this.hooks.onHandlerError(err, message);
  }

  private route(topic: string): Subscription[] {
    let targets = this.routeCache.get(topic);
    if (!targets) {
      targets = [];
      for (const s of this.subs) if (s.matches(topic)) targets.push(s);
      if (this.routeCache.size > 50_000) this.routeCache.clear();
      this.routeCache.set(topic, targets);
    }
    return targets;
  }
}

/** The bus as one plugin uses it: what it publishes is stamped with its name. */
export type PluginBus = Pick<Bus, 'subscribe' | 'retained' | 'last' | 'clearRetained' | 'hasSubscribers' | 'patterns' | 'watchSubscriptions' | 'watchCleared'> & {
  publish<T>(topic: string, data: T, options?: Omit<PublishOptions, 'publisher'>): Message<T> | null;
};

export function pluginBus(bus: Bus, plugin: string): PluginBus {
  return Object.freeze({
    publish: <T>(topic: string, data: T, options?: Omit<PublishOptions, 'publisher'>) => bus.publish(topic, data, { ...options, publisher: plugin }),
    subscribe: bus.subscribe.bind(bus),
    retained: bus.retained.bind(bus),
    last: bus.last.bind(bus),
    clearRetained: bus.clearRetained.bind(bus),
    hasSubscribers: bus.hasSubscribers.bind(bus),
    patterns: bus.patterns.bind(bus),
    watchSubscriptions: bus.watchSubscriptions.bind(bus),
    watchCleared: bus.watchCleared.bind(bus),
  });
}
