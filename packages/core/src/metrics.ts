import type { Message } from './bus.js';
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

type CounterChild = { inc(value?: number): void };
interface TopicCounters {
  published: CounterChild;
  delivered: CounterChild;
  dropped: CounterChild;
  conflated: CounterChild;
  /** Publishes and deliveries not yet handed to their counters (see countPublished, countDelivered). */
  publishedPending: number;
  deliveredPending: number;
  /** Plain copies for the status topic: messages published, first and last publish time (ms). */
  count: number;
  firstAt: number;
  lastAt: number;
}

/** One topic's traffic since the host started, for `core/status`. */
export interface TopicStats {
  topic: string;
  /** Messages published. */
  count: number;
  /** `ts` of the first and of the last message, ms since the epoch. */
  firstAt: number;
  lastAt: number;
}
/**
 * The host's Prometheus registry (one per host, so several hosts in one process do not collide) and
 * the core's own series. Plugins add theirs through their `PluginMetrics`, labelled with the plugin.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly published: Counter<'topic'>;
  readonly delivered: Counter<'topic'>;
  readonly dropped: Counter<'topic'>;
  readonly conflated: Counter<'topic'>;
  readonly filtered: Counter<string>;
  readonly clients: Gauge<'endpoint'>;
  readonly commandCalls: Counter<'verb'>;
  readonly commandErrors: Counter<'verb' | 'code'>;
  readonly badInput: Counter<'plugin' | 'kind'>;
  /** Label children cached per topic: the label lookup is on the hot path. */
  private readonly topicChildren = new Map<string, TopicCounters>();
  /** Each plugin's own registry, by plugin name. */
  private readonly plugins = new Map<string, Registry>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.published = new Counter({ name: 'acgateway_messages_published_total', help: 'Messages published on the bus, per topic', labelNames: ['topic'], registers, collect: () => this.flushPending() });
    this.delivered = new Counter({ name: 'acgateway_messages_delivered_total', help: 'Messages sent to clients by endpoints, per topic', labelNames: ['topic'], registers, collect: () => this.flushPending() });
    this.dropped = new Counter({ name: 'acgateway_messages_dropped_total', help: 'Messages dropped for slow subscribers (queue or conflation bound), per topic', labelNames: ['topic'], registers });
    this.conflated = new Counter({ name: 'acgateway_messages_conflated_total', help: 'Messages replaced by a newer one for a slow latest-policy subscriber, per topic', labelNames: ['topic'], registers });
    this.filtered = new Counter({ name: 'acgateway_messages_filtered_total', help: 'Messages dropped by a publish hook', registers });
    this.clients = new Gauge({ name: 'acgateway_clients', help: 'Connected clients per endpoint', labelNames: ['endpoint'], registers });
    this.commandCalls = new Counter({ name: 'acgateway_command_calls_total', help: 'Command calls per verb', labelNames: ['verb'], registers });
    this.commandErrors = new Counter({ name: 'acgateway_command_errors_total', help: 'Command errors per verb and code', labelNames: ['verb', 'code'], registers });
    this.badInput = new Counter({ name: 'acgateway_bad_input_total', help: 'Bad input (truncated packets, malformed lines ...) per plugin and kind', labelNames: ['plugin', 'kind'], registers });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'acgateway_process_' });
  }

  private children(topic: string) {
    let c = this.topicChildren.get(topic);
    if (!c) {
      // Bound the label set: a runaway topic generator must not grow memory without end.
      const key = this.topicChildren.size < 5000 ? topic : '_other';
      c = this.topicChildren.get(key) ?? {
        published: this.published.labels(key),
        delivered: this.delivered.labels(key),
        dropped: this.dropped.labels(key),
        conflated: this.conflated.labels(key),
        publishedPending: 0,
        deliveredPending: 0,
        count: 0,
        firstAt: 0,
        lastAt: 0,
      };
      this.topicChildren.set(key, c);
    }
    return c;
  }

  /** Once per message: counted in plain numbers, handed to the counter when it is read (as deliveries are). */
  countPublished(message: Message): void {
    const c = this.children(message.topic);
    c.publishedPending++;
    if (c.count++ === 0) c.firstAt = message.ts;
    c.lastAt = message.ts;
  }

  /** Every published topic's count and first/last times (topics past the label bound are summed as `_other`). */
  topicStats(): TopicStats[] {
    const out: TopicStats[] = [];
    for (const [topic, c] of this.topicChildren) if (c.count > 0) out.push({ topic, count: c.count, firstAt: c.firstAt, lastAt: c.lastAt });
    return out;
  }

  /**
   * Called once per client per message, too hot for prom-client's per-call label hashing (~100 ns):
   * summed in a plain number and handed to the counter when it is read.
   */
  countDelivered(message: Message, n: number): void {
    if (n > 0) this.children(message.topic).deliveredPending += n;
  }

  /** Hands the plain counts to prom-client: called when either counter is read. */
  private flushPending(): void {
    for (const c of this.topicChildren.values()) {
      if (c.publishedPending > 0) c.published.inc(c.publishedPending);
      if (c.deliveredPending > 0) c.delivered.inc(c.deliveredPending);
      c.publishedPending = 0;
      c.deliveredPending = 0;
    }
  }

  countDropped(message: Message): void {
    this.children(message.topic).dropped.inc();
  }

  countConflated(message: Message): void {
    this.children(message.topic).conflated.inc();
  }

  /** Every series, the core's and each plugin's, in the Prometheus text format. */
  async exposition(): Promise<string> {
    const texts = await Promise.all([this.registry, ...this.plugins.values()].map((r) => r.metrics()));
    return texts.map((t) => (t.endsWith('\n') ? t : `${t}\n`)).join('');
  }

  /** The registry of one plugin: its series carry `plugin="<name>"`; a name is owned by one plugin. */
  pluginRegistry(plugin: string): Registry {
    let r = this.plugins.get(plugin);
    if (!r) {
      r = new Registry();
      r.setDefaultLabels({ plugin });
      this.plugins.set(plugin, r);
    }
    return r;
  }

  /** A metric by name, the core's or a plugin's (then with that plugin's name). */
  find(name: string): { metric: Metric; plugin?: string } | undefined {
    const core = this.registry.getSingleMetric(name);
    if (core) return { metric: core };
    for (const [plugin, r] of this.plugins) {
      const metric = r.getSingleMetric(name);
      if (metric) return { metric, plugin };
    }
    return undefined;
  }

  /** Refuses a metric name the core or another plugin already has. */
  claim(name: string, plugin: string): void {
    if (this.registry.getSingleMetric(name)) throw new Error(`metric "${name}" is one of the core's: pick another name`);
    for (const [owner, r] of this.plugins) {
      if (owner !== plugin && r.getSingleMetric(name)) throw new Error(`metric "${name}" is already registered by plugin "${owner}": pick another name`);
    }
  }
}

/**
 * A plugin's metrics (`api.metrics`, or `coreServices.metrics` in its deps): every series it makes
 * carries the label `plugin="<name>"`, and a name the core or another plugin has is refused.
 */
export class PluginMetrics {
  readonly registry: Registry;

  constructor(
    private readonly host: Metrics,
    readonly plugin: string,
  ) {
    this.registry = host.pluginRegistry(plugin);
  }

  counter<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Counter<L>;
    this.host.claim(name, this.plugin);
    return new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  }

  gauge<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Gauge<L>;
    this.host.claim(name, this.plugin);
    return new Gauge<L>({ name, help, labelNames, registers: [this.registry] });
  }

  /** Counts a piece of bad input (the core's `acgateway_bad_input_total{plugin,kind}`). */
  countBadInput(kind: string): void {
    this.host.badInput.labels(this.plugin, kind).inc();
  }
}
