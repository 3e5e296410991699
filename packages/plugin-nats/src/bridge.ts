import { readFileSync } from 'node:fs';
import path from 'node:path';
import { connect, credsAuthenticator, headers, nkeyAuthenticator, type Msg, type NatsConnection, type NodeConnectionOptions, type Subscription as NatsSubscription } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { CommandError, compilePattern, errorMessage, RateLimitedLog, type Caller, type ComponentStatus, type Message, type Source, type Subscription } from '@acgateway/core';
import type { BridgeApi } from './plugin.js';
import type { NatsOptions } from './options.js';
import { wantedImports } from './wire/interest.js';
import { commandSubject, H, kvKeyOf, parseKvKey, parseSubject, subjectFilter, subjectOf } from './wire/subjects.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * The bus bridged over NATS. Local messages matching `export` go to `acg.<node>.<topic>` (retained
 * ones also into a JetStream KV bucket); messages of other nodes matching `import` arrive as
 * `<node>/<topic>`, never exported again (no-echo, the origin header, a hop count). `@node` command
 * lines go by request/reply. NATS being away never holds local delivery.
 */
export class NatsBridge implements Source {
  readonly name = 'nats';
  private nc: NatsConnection | undefined;
  private kv: KV | undefined;
  private exports: Subscription | undefined;
  private stopCleared: (() => void) | undefined;
  private stopWatching: (() => void) | undefined;
  /** The NATS subscriptions of imports, by pattern, in the order they were made (see onImport). */
  private imports: Array<{ pattern: string; match: (t: string) => boolean; sub: NatsSubscription }> = [];
  private connected = false;
  private stopping = false;
  private lastError: string | undefined;
  private readonly counters = { exported: 0, imported: 0, dropped: 0, commandsIn: 0, commandsOut: 0, badInput: 0 };
  private readonly exportMatch: Array<(t: string) => boolean>;
  private readonly excludeKv: Array<(t: string) => boolean>;
  private readonly badLog = new RateLimitedLog(5000);

  constructor(
    private readonly api: BridgeApi,
    private readonly o: NatsOptions,
  ) {
    this.exportMatch = o.export.map(compilePattern);
    this.excludeKv = o.retained.exclude.map(compilePattern);
  }

  async start(): Promise<void> {
    if (this.o.export.length) {
      this.exports = this.api.deps.bus.subscribe(this.o.export, (m) => this.export(m), {
        policy: 'queue',
        maxQueue: this.o.maxBufferedMessages,
        retained: false,
        onDrop: () => void this.counters.dropped++,
      });
      this.exports.pause();
      this.stopCleared = this.api.deps.bus.watchCleared((topic) => this.onCleared(topic));
    }
    if (this.o.commands.enabled) this.api.hooks.remoteCommand.tapPromise(this.api.name, (node, line, caller) => this.ask(node, line, caller));
    this.stopping = false;
    // In the background: the gateway starts and serves local data whether NATS is there or not.
    void this.connectLoop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.exports?.unsubscribe();
    this.exports = undefined;
    this.stopCleared?.();
    this.stopWatching?.();
    this.imports = [];
    const nc = this.nc;
    this.nc = undefined;
    this.connected = false;
    if (nc) await nc.drain().catch(() => nc.close());
  }

  status(): ComponentStatus {
    const base = { node: this.o.node, servers: this.o.servers, ...this.counters, queued: this.exports?.pending ?? 0, importing: this.imports.map((i) => i.pattern) };
    if (this.connected) return { state: 'connected', ...base };
    return { state: 'degraded', reason: `NATS is not connected${this.lastError ? ` (${this.lastError})` : ''}; local delivery goes on, exports wait`, ...base };
  }

  private options(): NodeConnectionOptions {
    const o = this.o;
    const file = (f: string) => readFileSync(path.resolve(this.api.configDir, f));
    return {
      servers: o.servers,
      name: `acgateway-${o.node}`,
      noEcho: true,
      waitOnFirstConnect: false, // our loop retries, and keeps why the last attempt failed for /health
      maxReconnectAttempts: -1,
      timeout: o.connectTimeoutMs,
      reconnectTimeWait: 500,
      user: o.user,
      pass: o.pass,
      token: o.token,
      ...(o.nkeySeed ? { authenticator: nkeyAuthenticator(enc.encode(o.nkeySeed)) } : {}),
      ...(o.credsFile ? { authenticator: credsAuthenticator(file(o.credsFile)) } : {}),
      ...(o.tls ? { tls: { ...(o.tls.ca ? { caFile: path.resolve(this.api.configDir, o.tls.ca) } : {}), ...(o.tls.cert ? { certFile: path.resolve(this.api.configDir, o.tls.cert) } : {}), ...(o.tls.key ? { keyFile: path.resolve(this.api.configDir, o.tls.key) } : {}) } } : {}),
    };
  }

  private async connectLoop(): Promise<void> {
    while (!this.stopping && !this.nc) {
      try {
        const nc = await connect(this.options());
        if (this.stopping) return void (await nc.close());
        this.nc = nc;
      } catch (err) {
        this.lastError = errorMessage(err);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const nc = this.nc;
    if (!nc) return;
    // Watched before anything else is awaited: a disconnect during the first set-up is not missed.
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') this.onDown();
        else if (s.type === 'reconnect') await this.onConnect(nc, false);
      }
    })();
    await this.onConnect(nc, true);
  }

  private async onConnect(nc: NatsConnection, first: boolean): Promise<void> {
    this.connected = true;
    this.lastError = undefined;
    if (first) {
      this.syncImports(nc, false);
      if (this.o.interest === 'subscribers' && this.o.import.length) this.stopWatching = this.api.deps.bus.watchSubscriptions(() => this.nc && this.syncImports(this.nc, true));
      if (this.o.commands.enabled) nc.subscribe(commandSubject(this.o.node), { callback: (err, msg) => { if (!err) void this.serve(msg); } });
    }
    if (this.o.retained.enabled) {
      try {
        this.kv = await new Kvm(nc).create(this.o.retained.bucket, { history: 1, ttl: this.o.retained.maxAgeSec * 1000, maxValueSize: this.o.retained.maxValueBytes });
        await this.loadRetained();
        for (const pattern of this.o.export) for (const m of this.api.deps.bus.retained(pattern)) this.keep(m);
      } catch (err) {
        this.api.logger.warn(`nats: the retained-values bucket is not available (${errorMessage(err)}): is JetStream on (nats-server -js)?`);
      }
    }
    this.exports?.resume();
    this.api.logger.info({ node: this.o.node }, first ? 'nats bridge connected' : 'nats bridge reconnected');
  }

  private onDown(): void {
    if (!this.connected) return;
    this.connected = false;
    this.exports?.pause();
    this.api.logger.warn('nats bridge disconnected: local delivery goes on, exports wait');
  }

  private export(m: Message): void {
    const nc = this.nc;
    // What came over the bridge is never sent back.
    if (!nc || m.publisher === this.api.name) return;
    const h = headers();
    h.set(H.origin, this.o.node);
    h.set(H.ts, String(m.ts));
    h.set(H.hops, '1');
    if (m.key !== undefined) h.set(H.key, m.key);
    if (m.retain) h.set(H.retain, '1');
    nc.publish(subjectOf(this.o.node, m.topic), enc.encode(JSON.stringify(m.data ?? null)), { headers: h });
    this.counters.exported++;
    if (m.retain) this.keep(m);
  }

  /** A retained value into the KV bucket (not the excluded or oversized ones). */
  private keep(m: Message): void {
    // An imported value is its own node's to keep: kept again here it would come back as <this node>/<that node>/...
    if (!this.kv || m.publisher === this.api.name || this.excludeKv.some((x) => x(m.topic))) return;
    const body = JSON.stringify({ ts: m.ts, data: m.data ?? null });
    if (body.length > this.o.retained.maxValueBytes) return;
    this.kv.put(kvKeyOf(this.o.node, m.topic), enc.encode(body)).catch((err: Error) => this.bad('kv', `nats: keeping ${m.topic} failed: ${err.message}`));
  }

  private onCleared(topic: string): void {
    if (!this.nc || !this.exportMatch.some((x) => x(topic))) return;
    const h = headers();
    h.set(H.origin, this.o.node);
    h.set(H.clear, '1');
    this.nc.publish(subjectOf(this.o.node, topic), new Uint8Array(), { headers: h });
    this.kv?.delete(kvKeyOf(this.o.node, topic)).catch(() => {});
  }

  /**
   * Subscribes on NATS for the imports wanted now: every import pattern, or (interest
   * 'subscribers') what the local subscriptions want of them. NATS itself resubscribes after a
   * reconnect. A pattern newly wanted gets the retained values it missed from the KV bucket.
   */
  private syncImports(nc: NatsConnection, fromKv: boolean): void {
    const wanted = this.o.interest === 'all' ? [...this.o.import] : wantedImports(this.o.import, this.api.deps.bus.patterns());
    for (const i of this.imports.filter((x) => !wanted.includes(x.pattern))) i.sub.unsubscribe();
    const kept = this.imports.filter((x) => wanted.includes(x.pattern));
    const added = wanted.filter((p) => !kept.some((x) => x.pattern === p));
    for (const pattern of added) {
      const match = compilePattern(pattern);
      const sub = nc.subscribe(subjectFilter(pattern), { callback: (err, msg) => (err ? this.bad('subscription', err.message) : this.onImport(msg, match)) });
      kept.push({ pattern, match, sub });
    }
    this.imports = kept;
    if (added.length) this.api.logger.debug({ importing: wanted }, 'nats: import subscriptions changed');
    if (fromKv && added.length) void this.loadRetained(added).catch((err) => this.bad('kv', `nats: reading retained values failed: ${errorMessage(err)}`));
  }

  /** Retained values of other nodes, at connect (a gateway that joins late has them at once) or for newly wanted patterns. */
  private async loadRetained(patterns: readonly string[] = this.o.import): Promise<void> {
    if (!this.kv || !patterns.length) return;
    const wanted = patterns.map((p) => compilePattern(p));
    for await (const key of await this.kv.keys()) {
      const where = parseKvKey(key);
      if (!where || where.node === this.o.node) continue;
      const topic = `${where.node}/${where.topic}`;
      if (!wanted.some((w) => w(topic))) continue;
      const entry = await this.kv.get(key);
      if (!entry || entry.operation !== 'PUT') continue;
      try {
        const v = JSON.parse(dec.decode(entry.value)) as { ts: number; data: unknown };
        if (this.api.deps.bus.last(topic)?.ts === v.ts) continue; // already here
        this.api.publish(topic, v.data, { retain: true, ts: v.ts });
      } catch (err) {
        this.bad('kv', `nats: a retained value of ${topic} is unreadable: ${errorMessage(err)}`);
      }
    }
  }

  private onImport(msg: Msg, via: (t: string) => boolean): void {
    const where = parseSubject(msg.subject);
    const h = msg.headers;
    if (!where || where.node === this.o.node || h?.get(H.origin) === this.o.node) return;
    const topic = `${where.node}/${where.topic}`;
    // Two overlapping subscriptions each receive the message: only the first that matches takes it.
    if (this.imports.length > 1 && this.imports.find((i) => i.match(topic))?.match !== via) return;
    if (Number(h?.get(H.hops) ?? '1') > 1) return this.bad('hops', `nats: dropped ${msg.subject}: it has crossed more than one bridge`);
    if (h?.get(H.clear) === '1') return void this.api.deps.bus.clearRetained(topic);
    let data: unknown;
    try {
      data = msg.data.length ? JSON.parse(dec.decode(msg.data)) : null;
    } catch (err) {
      return this.bad('json', `nats: dropped ${msg.subject}: ${errorMessage(err)}`);
    }
    const ts = Number(h?.get(H.ts));
    const key = h?.get(H.key) || undefined;
    try {
      this.api.publish(topic, data, { ts: Number.isFinite(ts) && ts > 0 ? ts : undefined, key, retain: h?.get(H.retain) === '1' });
      this.counters.imported++;
    } catch (err) {
      this.bad('topic', `nats: dropped ${msg.subject}: ${errorMessage(err)}`);
    }
  }

  private bad(kind: string, message: string): void {
    this.counters.badInput++;
    this.api.countBadInput(kind);
    this.badLog.log(kind, (suppressed) => this.api.logger.warn({ suppressed }, message));
  }

  /** `@node line` from a local client: sent to that node, its reply returned (or its error thrown). */
  private async ask(node: string, line: string, caller: Caller): Promise<unknown> {
    if (node === this.o.node) return this.api.deps.dispatcher.dispatch(line, caller);
    const nc = this.nc;
    if (!nc || !this.connected) throw new CommandError('UNAVAILABLE', `cannot reach gateway "${node}": NATS is not connected`);
    this.counters.commandsOut++;
    let reply: Msg;
    try {
      reply = await nc.request(commandSubject(node), enc.encode(JSON.stringify({ line, from: this.o.node, client: caller.id ?? null, endpoint: caller.endpoint })), { timeout: this.o.commands.timeoutMs });
    } catch (err) {
      const m = errorMessage(err);
      if (/no responders/i.test(m)) throw new CommandError('UNKNOWN_NODE', `no gateway named "${node}" answers on NATS`);
      if (/timeout/i.test(m)) throw new CommandError('TIMEOUT', `gateway "${node}" did not answer within ${this.o.commands.timeoutMs} ms`);
      throw new CommandError('UNAVAILABLE', `asking gateway "${node}" failed: ${m}`);
    }
    const r = JSON.parse(dec.decode(reply.data)) as { data?: unknown; error?: { message: string; code: string } };
    if (r.error) throw new CommandError(r.error.code, `${node}: ${r.error.message}`);
    return r.data ?? null;
  }

  /** A command from another gateway: run here, with this gateway's rules and the bridge's role. */
  private async serve(msg: Msg): Promise<void> {
    this.counters.commandsIn++;
    let req: { line?: unknown; from?: unknown; client?: unknown; endpoint?: unknown };
    try {
      req = JSON.parse(dec.decode(msg.data));
    } catch {
      req = {};
    }
    const respond = (body: unknown) => msg.respond(enc.encode(JSON.stringify(body)));
    if (typeof req.line !== 'string') {
      this.bad('command', 'nats: a command request without a line');
      return void respond({ error: { message: 'a command request needs "line"', code: 'BAD_FRAME' } });
    }
    const from = typeof req.from === 'string' ? req.from.slice(0, 64) : '?';
    const caller: Caller = { endpoint: 'nats', role: this.o.commands.role, remote: from, id: `${from}:${typeof req.client === 'string' ? req.client.slice(0, 64) : '?'}` };
    try {
      const data = await this.api.deps.dispatcher.dispatch(req.line, caller);
      respond({ data: data === undefined ? null : data });
    } catch (err) {
      const e = err instanceof CommandError ? err : new CommandError('COMMAND_FAILED', errorMessage(err));
      respond({ error: { message: e.message, code: e.code } });
    }
  }
}
