import { readFileSync } from 'node:fs';
import path from 'node:path';
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { CommandError, compilePattern, errorMessage, RateLimitedLog, type Caller, type ComponentStatus, type Message, type Source, type Subscription } from '@acgateway/core';
import type { BridgeApi } from './plugin.js';
import type { ExportRule, MqttOptions } from './options.js';
import { decodeCommand, decodePayload, encodePayload, encodeReply, type CommandRequest } from './wire/payload.js';
import { importedTopic, TopicMap } from './wire/topics.js';

interface Rule {
  pattern: string;
  match: (topic: string) => boolean;
  qos: 0 | 1 | 2;
  maxRateHz?: number;
}

/** Per-topic rate limit: at most one message per slot; the newest waiting one goes out when the slot opens. */
class RateLimiter {
  private readonly topics = new Map<string, { lastAt: number; waiting?: Message; timer?: NodeJS.Timeout }>();

  constructor(private readonly send: (m: Message, rule: Rule) => void) {}

  offer(m: Message, rule: Rule & { maxRateHz: number }): void {
    const slot = 1000 / rule.maxRateHz;
    const now = Date.now();
    let t = this.topics.get(m.topic);
    if (!t) this.topics.set(m.topic, (t = { lastAt: 0 }));
    if (now - t.lastAt >= slot && !t.timer) {
      t.lastAt = now;
      this.send(m, rule);
      return;
    }
    t.waiting = m;
    if (t.timer) return;
    const entry = t;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      entry.lastAt = Date.now();
      const w = entry.waiting;
      entry.waiting = undefined;
      if (w) this.send(w, rule);
    }, Math.max(0, slot - (now - t.lastAt)));
  }

  clear(): void {
    for (const t of this.topics.values()) clearTimeout(t.timer);
    this.topics.clear();
  }
}

/** The URL without user and password, for logs and status. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

/**
 * The bus to and from one MQTT broker. Exported messages go to <prefix>/<node>/<topic>; while the
 * broker is away they wait in a bounded queue (the oldest dropped and counted), so local delivery
 * never waits for it. Imported topics come onto the bus as mqtt/<topic> and are never exported
 * again. Commands arrive on <prefix>/<node>/cmd and run with the configured role.
 */
export class MqttBridge implements Source {
  readonly name = 'broker';
  private client: MqttClient | undefined;
  private exports: Subscription | undefined;
  private stopCleared: (() => void) | undefined;
  private connected = false;
  private everConnected = false;
  private lastError: string | undefined;
  private readonly rules: Rule[];
  private readonly limiter: RateLimiter;
  private readonly topics: TopicMap;
  private readonly badLog = new RateLimitedLog(5000);
  private readonly counters = { exported: 0, imported: 0, commands: 0, dropped: 0, badInput: 0 };
  private readonly metrics;

  constructor(
    private readonly api: BridgeApi,
    private readonly options: MqttOptions,
  ) {
    this.topics = new TopicMap(options.prefix, options.node);
    this.rules = options.export.map((r: ExportRule) => {
      const rule = typeof r === 'string' ? { pattern: r, qos: options.defaultQos } : { pattern: r.pattern, qos: r.qos ?? options.defaultQos, maxRateHz: r.maxRateHz };
      return { ...rule, match: compilePattern(rule.pattern) };
    });
    this.limiter = new RateLimiter((m, rule) => this.publish(m, rule));
    this.metrics = {
      messages: api.metrics.counter('acgateway_mqtt_messages_total', 'Messages through the MQTT bridge, by direction (out: exported, in: imported, cmd: commands)', ['direction']),
      dropped: api.metrics.counter('acgateway_mqtt_dropped_total', 'Exported messages dropped while the broker was away (the bounded queue was full)'),
      connected: api.metrics.gauge('acgateway_mqtt_connected', 'Whether the MQTT broker is connected (1) or not (0)'),
    };
  }

  async start(): Promise<void> {
    const o = this.options;
    if (this.rules.length) {
      // Paused until the broker is there: a bounded queue, the oldest dropped and counted.
      this.exports = this.api.deps.bus.subscribe(this.rules.map((r) => r.pattern), (m) => this.onBusMessage(m), {
        policy: 'queue',
        maxQueue: o.maxBufferedMessages,
        // Retained values are sent at each connect instead (a restarted broker gets them back).
        retained: false,
        onDrop: () => {
          this.counters.dropped++;
          this.metrics.dropped.inc();
        },
      });
      this.exports.pause();
      this.stopCleared = this.api.deps.bus.watchCleared((topic) => this.onCleared(topic));
    }
    const client = connect(o.url, this.clientOptions());
    this.client = client;
    client.on('connect', () => this.onConnect());
    client.on('close', () => this.onDown('connection closed'));
    client.on('offline', () => this.onDown('offline'));
    client.on('error', (err) => {
      this.lastError = err.message;
      this.badLog.log(`error:${err.message}`, (suppressed) => this.api.logger.warn({ broker: safeUrl(o.url), suppressed }, `mqtt: ${err.message}`));
    });
    client.on('message', (topic, payload, packet) => this.onMqttMessage(topic, payload, packet));
    this.api.logger.info({ broker: safeUrl(o.url), node: o.node, export: this.rules.map((r) => r.pattern), import: o.import }, 'mqtt bridge connecting');
  }

  async stop(): Promise<void> {
    this.exports?.unsubscribe();
    this.exports = undefined;
    this.stopCleared?.();
    this.limiter.clear();
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (this.connected) {
      // A graceful stop says offline itself (the will is for the other kind).
      await new Promise<void>((resolve) => client.publish(this.topics.status, 'offline', { qos: 1, retain: true }, () => resolve()));
    }
    await client.endAsync(false).catch(() => client.end(true));
    this.setConnected(false);
  }

  status(): ComponentStatus {
    const base = { broker: safeUrl(this.options.url), node: this.options.node, ...this.counters, queued: this.exports?.pending ?? 0 };
    if (this.connected) return { state: 'connected', ...base };
    const reason = this.everConnected ? `the broker went away (${this.lastError ?? 'connection closed'}); reconnecting` : `cannot reach the broker${this.lastError ? `: ${this.lastError}` : ''}; retrying`;
    return { state: 'degraded', reason, ...base };
  }

  private clientOptions(): IClientOptions {
    const o = this.options;
    const file = (f: string | undefined) => (f ? readFileSync(path.resolve(this.api.configDir, f)) : undefined);
    return {
      protocolVersion: o.protocolVersion,
      clientId: o.clientId ?? `acgateway-${o.node}-${process.pid.toString(36)}`,
      username: o.username,
      password: o.password,
      reconnectPeriod: o.reconnectMs,
      connectTimeout: o.connectTimeoutMs,
      clean: true,
      resubscribe: true,
      // Nothing waits inside the client while the broker is away: the bus subscription is the bounded queue.
      queueQoSZero: false,
      will: { topic: this.topics.status, payload: Buffer.from('offline'), qos: 1, retain: true },
      ...(o.tls ? { ca: file(o.tls.ca), cert: file(o.tls.cert), key: file(o.tls.key), rejectUnauthorized: o.tls.rejectUnauthorized } : {}),
    };
  }

  private onConnect(): void {
    const client = this.client;
    if (!client) return;
    const first = !this.everConnected;
    this.everConnected = true;
    this.lastError = undefined;
    this.setConnected(true);
    client.publish(this.topics.status, 'online', { qos: 1, retain: true });
    if (first) {
      const wanted = [...this.options.import, ...(this.options.commands.enabled ? [this.topics.commands] : [])];
      if (wanted.length) {
        // No-local (MQTT 5): what this gateway publishes is not sent back to it.
        const opts = { qos: 1 as const, ...(this.options.protocolVersion === 5 ? { nl: true } : {}) };
        client.subscribe(wanted, opts, (err) => {
          if (err) this.api.logger.error({ topics: wanted }, `mqtt: subscribing failed: ${err.message}`);
        });
      }
    }
    for (const rule of this.rules) for (const m of this.api.deps.bus.retained(rule.pattern)) this.onBusMessage(m);
    this.exports?.resume();
    this.api.logger.info({ broker: safeUrl(this.options.url) }, first ? 'mqtt bridge connected' : 'mqtt bridge reconnected');
  }

  private onDown(why: string): void {
    if (!this.connected) return;
    this.setConnected(false);
    this.exports?.pause();
    this.api.logger.warn({ broker: safeUrl(this.options.url) }, `mqtt bridge disconnected (${why}); local delivery goes on, exports wait (at most ${this.options.maxBufferedMessages})`);
  }

  private setConnected(up: boolean): void {
    this.connected = up;
    this.metrics.connected.set(up ? 1 : 0);
  }

  private onBusMessage(m: Message): void {
    // What came from the broker is never sent back to it.
    if (m.publisher === this.api.name) return;
    const rule = this.ruleFor(m.topic);
    if (!rule) return;
    if (rule.maxRateHz) this.limiter.offer(m, rule as Rule & { maxRateHz: number });
    else this.publish(m, rule);
  }

  /** The first export rule whose pattern takes the topic. */
  private ruleFor(topic: string): Rule | undefined {
    return this.rules.find((r) => r.match(topic));
  }

  private publish(m: Message, rule: Rule): void {
    const client = this.client;
    if (!client) return;
    const v5 = this.options.protocolVersion === 5;
    const expiry = m.retain && this.options.retainedExpirySec ? { messageExpiryInterval: this.options.retainedExpirySec } : {};
    client.publish(this.topics.exported(m.topic), encodePayload(m.data), {
      qos: rule.qos,
      retain: m.retain === true,
      ...(v5 ? { properties: { userProperties: { origin: this.options.node, ts: String(m.ts) }, ...expiry } } : {}),
    });
    this.counters.exported++;
    this.metrics.messages.labels('out').inc();
  }

  /** A retained topic cleared on the bus: cleared at the broker too (an empty retained message). */
  private onCleared(topic: string): void {
    const rule = this.ruleFor(topic);
    if (!rule || !this.client || !this.connected) return;
    this.client.publish(this.topics.exported(topic), '', { qos: rule.qos, retain: true });
  }

  private onMqttMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (topic === this.topics.commands) return void this.onCommand(payload, packet);
    if (this.topics.isOwn(topic)) return;
    if (payload.length > this.options.maxImportBytes) return this.bad('too_large', `mqtt: dropped ${payload.length} bytes on ${topic} (maxImportBytes ${this.options.maxImportBytes})`);
    if (payload.length === 0 && packet.retain) return; // a cleared retained value: nothing to bring over
    let busTopic: string;
    try {
      busTopic = importedTopic(topic);
      this.api.publish(busTopic, decodePayload(payload), packet.retain ? { retain: true } : undefined);
    } catch (err) {
      return this.bad('bad_topic', `mqtt: cannot bring ${JSON.stringify(topic.slice(0, 200))} onto the bus: ${errorMessage(err)}`);
    }
    this.counters.imported++;
    this.metrics.messages.labels('in').inc();
  }

  private bad(kind: string, message: string): void {
    this.counters.badInput++;
    this.api.countBadInput(kind);
    this.badLog.log(kind, (suppressed) => this.api.logger.warn({ suppressed }, message));
  }

  private async onCommand(payload: Buffer, packet: IPublishPacket): Promise<void> {
    const props = packet.properties;
    const reply = (id: CommandRequest['id'], outcome: Parameters<typeof encodeReply>[1]) => {
      const client = this.client;
      if (!client) return;
      if (props?.responseTopic) {
        client.publish(props.responseTopic, encodeReply(id, outcome), { qos: 1, properties: props.correlationData ? { correlationData: props.correlationData } : {} });
      } else {
        client.publish(this.topics.replies, encodeReply(id, outcome), { qos: 1 });
      }
    };
    const req = decodeCommand(payload);
    if (typeof req === 'string') {
      this.bad('command', `mqtt: a command was refused: ${req}`);
      return reply(null, { error: { message: req, code: 'BAD_FRAME' } });
    }
    this.counters.commands++;
    this.metrics.messages.labels('cmd').inc();
    const user = props?.userProperties?.user;
    const caller: Caller = { endpoint: 'mqtt', role: this.options.commands.role, remote: safeUrl(this.options.url), id: typeof user === 'string' ? `mqtt:${user.slice(0, 64)}` : 'mqtt' };
    try {
      const data = await this.api.deps.dispatcher.dispatch(req.line, caller);
      reply(req.id, { data: data === undefined ? null : data });
    } catch (err) {
      const e = err instanceof CommandError ? err : new CommandError('COMMAND_FAILED', errorMessage(err));
      reply(req.id, { error: { message: e.message, code: e.code } });
    }
  }
}
