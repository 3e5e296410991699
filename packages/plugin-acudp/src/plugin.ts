import { createRequire } from 'node:module';
import path from 'node:path';
import { API_VERSION, coreServices, createServiceRef, definePlugin, RateLimitedLog, type PluginApi } from '@acgateway/core';
import { AcUdpClient } from './client/client.js';
import { formatDecodeError } from './wire/decode.js';
import { EVENT_NAMES, PROTOCOL_VERSION } from './wire/ids.js';
import type { AcspEvent, CarUpdateEvent, DecodeError } from './wire/types.js';
import { Direction } from './record/format.js';
import { Recorder } from './record/recorder.js';
import { loadReplay, Replayer } from './record/replay.js';
import { optionsSchema, type AcudpOptions } from './options.js';
import { acVerbs } from './verbs.js';
import { acudpTopics } from './topics.js';

const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/**
 * The plugin's AC UDP client, for other plugins: declare `deps: { acudp: acudpClientRef }` and use
 * `api.deps.acudp` (its events, `sendChat`, `broadcastChat`, `state` ...). Commands it sends are
 * the plugin's; a replaying plugin's client refuses them (NOT_LISTENING).
 */
export const acudpClientRef = createServiceRef<AcUdpClient>('acudp.client');

const deps = { clock: coreServices.clock };

/**
 * The Assetto Corsa dedicated server UDP plugin as a gateway plugin: every event on
 * `acudp/<event>`, the tracked state retained on `acudp/state`, `ac ...` verbs, record and replay.
 */
export const acudp = definePlugin({
  name: 'acudp',
  apiVersion: API_VERSION,
  version,
  description: 'Assetto Corsa dedicated server UDP plugin protocol: events, state, commands, record and replay',
  options: optionsSchema,
  deps,
  topics: Object.values(acudpTopics),
  provides: [acudpClientRef],
  apply(api, options) {
    const plugin = new AcudpPlugin(api, options);
    plugin.register();
    api.provide(acudpClientRef, plugin.client);
  },
});

/** libuv's most datagrams read from a UDP socket per wake-up. */
const READ_BURST = 32;
/** The longest a car update waits for the socket to drain before it is published anyway. */
const HOLD_MAX_MS = 20;

class AcudpPlugin {
  readonly client: AcUdpClient;
  private readonly topics = new Map<string, string>(EVENT_NAMES.map((n) => [n, `acudp/${n}`]));
  private readonly badLog = new RateLimitedLog(5000);
  private readonly decodeErrors;
  private readonly datagrams;
  private readonly conflated;
  private recorder: Recorder | undefined;
  private replayer: Replayer | undefined;
  private stateDirty = false;
  /**
   * Car updates that arrived in this turn of the event loop, the newest per car: published together
   * once the socket has been drained (setImmediate), so a flood is conflated here, before the bus,
   * instead of queueing in the kernel's receive buffer while every datagram is fanned out.
   */
  private pendingCars = new Map<number, CarUpdateEvent>();
  /** The check after this turn, while car updates wait (one at a time). */
  private flushCheck: NodeJS.Immediate | undefined;
  /** Datagrams read since the last check, and when the oldest waiting car update came. */
  private turnDatagrams = 0;
  private heldSince = 0;
  private readonly afterTurn = () => this.flushWhenDrained();
  private intervalMs: number | undefined;
  private lastEventAt = 0;
  private versionWarned = false;
  /** Cars asked about with GET_CAR_INFO (askCarInfo), until they connect or leave again. */
  private readonly askedCarInfo = new Set<number>();
  private mode: 'udp' | 'replay';
  /** askCarInfo's requests: never a flood at the server, whatever arrives. */
  private readonly carInfoBudget: TokenBucket;

  constructor(
    private readonly api: PluginApi<typeof deps>,
    private readonly options: AcudpOptions,
  ) {
    this.mode = options.replay ? 'replay' : 'udp';
    this.intervalMs = options.realtimeIntervalMs;
    this.client = new AcUdpClient({
      listenPort: options.listenPort,
      listenHost: options.listenHost,
      serverHost: options.serverHost,
      serverPort: options.serverPort,
      requestTimeoutMs: options.requestTimeoutMs,
      acceptFrom: options.acceptFrom,
      checkSourcePort: options.checkSourcePort,
      recvBufferBytes: options.recvBufferBytes,
    });
    this.carInfoBudget = new TokenBucket(options.carInfoPerSecond, options.carInfoPerSecond * 4);
    this.decodeErrors = api.metrics.counter('acudp_decode_errors_total', 'ACSP datagrams that could not be decoded, per reason', ['reason']);
    this.datagrams = api.metrics.counter('acudp_datagrams_total', 'ACSP datagrams received (or replayed)');
    this.conflated = api.metrics.counter('acudp_conflated_total', 'Car updates replaced by a newer one of the same car before they were published (the socket had several waiting)');
  }

  register(): void {
    const { api, client, options } = this;
    client.on('event', (e) => this.onEvent(e));
    client.on('decode_error', (e, datagram) => this.onDecodeError(e, datagram));
    client.on('trailing_bytes', (e, extra) => this.onTrailing(e, extra));
    client.on('listener_error', (err, e) => api.logger.error({ err, type: e.type }, 'an acudp event handler threw'));
    client.on('sent', (cmd, buf) => {
      if (cmd.type === 'realtimepos_interval') this.intervalMs = cmd.intervalMs;
      this.recorder?.write(Direction.ToServer, buf);
    });
    client.on('error', (err) => api.logger.warn({ err: err.message }, 'acudp socket error'));
    client.on('foreign_datagram', (buf, from) => {
      api.countBadInput('foreign_source');
      this.badLog.log('foreign', (suppressed) =>
        api.logger.warn({ from: `${from.address}:${from.port}`, bytes: buf.length, server: `${options.serverHost}:${options.serverPort}`, suppressed }, 'acudp: dropped a datagram that did not come from the AC server (acceptFrom: "any" accepts every source)'),
      );
    });
    api.addSource({
      name: this.mode,
      start: () => this.start(),
      stop: () => this.stop(),
      status: () => this.status(),
    });
    const replaying = () => (this.mode === 'replay' ? `acudp is replaying ${this.options.replay!.file}: there is no AC server to send commands to` : undefined);
    for (const verb of acVerbs(client, replaying, () => this.snapshot())) api.addCommand(verb);
  }

  private async start(): Promise<void> {
    try {
      await this.begin();
    } catch (err) {
      // The host does not stop a source whose start failed: undo what began here.
      this.replayer?.stop();
      await this.client.close();
      await this.recorder?.discard();
      this.recorder = undefined;
      throw err;
    }
  }

  private async begin(): Promise<void> {
    const { api, client, options } = this;
    if (options.record) {
      this.recorder = new Recorder(path.resolve(api.configDir, options.record.file));
      await this.recorder.open();
      client.on('datagram', (buf) => this.recorder?.write(Direction.ToPlugin, buf));
      api.logger.info({ file: this.recorder.file }, 'acudp recording datagrams');
    }
    if (options.replay) {
      const r = options.replay;
      const source = await loadReplay(path.resolve(api.configDir, r.file), { gapMs: r.gapMs });
      if (source.problem) {
        api.countBadInput('replay_file');
        api.logger.warn({ file: source.file }, `acudp replay: ${source.problem}`);
      }
      this.replayer = new Replayer(source, {
        speed: r.speed,
        loop: r.loop,
        onDatagram: (bytes) => client.feed(bytes),
        onPassEnd: (pass) => {
          this.publishReplay();
          api.logger.info({ file: source.file, pass, played: this.replayer?.played }, 'acudp replay pass ended');
        },
      });
      this.replayer.start();
      this.publishReplay();
      api.logger.info({ file: source.file, format: source.format, datagrams: source.datagrams.length, speed: r.speed }, 'acudp replaying');
      return;
    }
    const where = await client.listen();
    api.logger.info({ listen: `${where.address}:${where.port}`, server: `${options.serverHost}:${options.serverPort}`, recvBuffer: client.recvBufferSize }, 'acudp listening for AC server events');
    if (client.recvBufferSize > 0 && client.recvBufferSize < client.options.recvBufferBytes) {
      api.logger.warn(`acudp: the OS granted a ${client.recvBufferSize}-byte UDP receive buffer (asked ${client.options.recvBufferBytes}); bursts may be lost while the gateway is busy: raise net.core.rmem_max`);
    }
    if (this.intervalMs !== undefined) this.sendInterval();
    // A plugin started after the server learns the running session without waiting for the next one.
    client.getSessionInfo(-1).catch((err: Error) => api.logger.info(`acudp: no answer to the start-up session request yet (${err.message}); waiting for the server`));
    this.publishState();
  }

  private async stop(): Promise<void> {
    this.replayer?.stop();
    await this.client.close();
    if (this.recorder) {
      const rec = this.recorder;
      this.recorder = undefined;
      const backup = await rec.close();
      this.api.logger.info({ file: rec.file, records: rec.stats.records, dropped: rec.stats.dropped, backup }, 'acudp recording saved');
    }
  }

  private sendInterval(): void {
    const ms = this.intervalMs;
    if (ms === undefined || this.mode === 'replay') return;
    this.client.setRealtimeInterval(ms).catch((err: Error) => this.api.logger.warn(`acudp: could not send the realtime interval: ${err.message}`));
  }

  private onEvent(e: AcspEvent): void {
    this.lastEventAt = Date.now();
    this.datagrams.inc();
    this.turnDatagrams++;
    if (e.type === 'car_update') {
      // Telemetry: the newest per car wins; published when this turn's datagrams are all read.
      if (this.pendingCars.has(e.carId)) {
        this.conflated.inc();
        this.pendingCars.delete(e.carId); // re-inserted last: the batch keeps arrival order
      }
      this.pendingCars.set(e.carId, e);
      if (!this.flushCheck) {
        this.heldSince = performance.now();
        this.flushCheck = setImmediate(this.afterTurn);
      }
      return;
    }
    // Events are never conflated, and never overtake the car updates that came before them.
    this.flushCars();
    this.api.publish(this.topics.get(e.type)!, e);
    switch (e.type) {
      case 'client_loaded':
        this.learnDriver(e.carId);
        break;
      case 'new_connection':
      case 'connection_closed':
        this.askedCarInfo.delete(e.carId);
        break;
      case 'new_session':
        // The server-manager habit: ask again at each session, in case the server forgot.
        this.sendInterval();
        this.checkVersion(e.protocolVersion);
        break;
      case 'version':
      case 'session_info':
        this.checkVersion(e.protocolVersion);
        break;
      default:
        break;
    }
    this.publishState();
  }

  /**
   * After a turn of the event loop: libuv reads at most READ_BURST datagrams per wake-up, so a turn
   * that brought that many (or a replay chunk) most likely left more waiting in the kernel's buffer.
   * Those are read first, the next turn (no wait), and the fan-out happens once the socket is
   * drained, or once the oldest waiting update has been held for HOLD_MAX_MS: reading stays ahead of
   * a flood, so what is published is what was just sent, not what queued seconds ago.
   */
  private flushWhenDrained(): void {
    const full = this.turnDatagrams >= READ_BURST;
    this.turnDatagrams = 0;
    if (full && performance.now() - this.heldSince < HOLD_MAX_MS) {
      this.flushCheck = setImmediate(this.afterTurn);
      return;
    }
    this.flushCars();
  }

  /**
   * Publishes the waiting car updates: each under `acudp/car_update`, keyed by car (a slow `latest`
   * client keeps every car's newest), and together as `acudp/car_updates` (batchCarUpdates).
   */
  private flushCars(): void {
    if (this.flushCheck) clearImmediate(this.flushCheck);
    this.flushCheck = undefined;
    if (this.pendingCars.size === 0) return;
    const updates = [...this.pendingCars.values()];
    this.pendingCars.clear();
    for (const u of updates) {
      this.api.publish('acudp/car_update', u, { key: String(u.carId) });
      this.learnDriver(u.carId);
    }
    if (this.options.batchCarUpdates) this.api.publish('acudp/car_updates', { updates });
  }

  /** Asks once about a car seen without a driver name (the gateway started after it joined). */
  private learnDriver(carId: number): void {
    if (!this.options.askCarInfo || this.mode !== 'udp' || this.askedCarInfo.has(carId)) return;
    if (this.client.state.cars.get(carId)?.driverName) return;
    // Not marked as asked when over budget: a later update asks again.
    if (!this.carInfoBudget.take(this.api.deps.clock.now())) return;
    this.askedCarInfo.add(carId);
    this.client.getCarInfo(carId).catch((err: Error) => this.api.logger.info({ carId }, `acudp: no answer about car ${carId} (${err.message})`));
  }

  private checkVersion(v: number): void {
    if (v === PROTOCOL_VERSION || this.versionWarned) return;
    this.versionWarned = true;
    this.api.logger.warn(`acudp: the server speaks protocol version ${v}; this plugin knows version ${PROTOCOL_VERSION}: messages may be misread`);
  }

  private onDecodeError(e: DecodeError, datagram: Buffer): void {
    this.datagrams.inc();
    this.decodeErrors.labels(e.reason).inc();
    this.api.countBadInput(`datagram_${e.reason}`);
    this.badLog.log(`decode:${e.reason}`, (suppressed) =>
      this.api.logger.warn(
        { reason: e.reason, id: e.id, offset: e.offset, bytes: datagram.length, head: datagram.subarray(0, 32).toString('hex'), suppressed },
        `acudp: skipped a datagram: ${formatDecodeError(e)}`,
      ),
    );
  }

  private onTrailing(e: AcspEvent, extra: number): void {
    this.api.countBadInput('datagram_trailing_bytes');
    this.badLog.log('trailing', (suppressed) => this.api.logger.warn({ type: e.type, extra, suppressed }, `acudp: ${e.type} had ${extra} bytes left over (a newer protocol or another server?); the event was kept`));
  }

  /** Coalesced: a burst of events (a replay flat out) publishes the state once per turn of the event loop. */
  private publishState(): void {
    if (this.stateDirty) return;
    this.stateDirty = true;
    setImmediate(() => {
      this.stateDirty = false;
      this.api.publish('acudp/state', this.snapshot(), { retain: true });
    });
  }

  private publishReplay(): void {
    const r = this.replayer;
    if (!r) return;
    this.api.publish(
      'acudp/replay',
      { file: r.source.file, format: r.source.format, speed: this.options.replay!.speed, loop: this.options.replay!.loop, total: r.source.datagrams.length, played: r.played, passes: r.passes, done: r.done },
      { retain: true },
    );
  }

  private snapshot() {
    return { mode: this.mode, ...this.client.state.snapshot() };
  }

  private status() {
    const s = this.client.stats;
    const base = { datagrams: s.datagrams, events: s.events, decodeErrors: s.decodeErrors, foreignDatagrams: s.foreign, lastEventAt: this.lastEventAt || null };
    if (this.mode === 'replay') {
      const r = this.replayer;
      return { state: r ? (r.done ? 'done' : 'replaying') : 'stopped', file: this.options.replay!.file, played: r?.played ?? 0, total: r?.source.datagrams.length ?? 0, ...base };
    }
    return {
      state: this.client.listening ? 'listening' : 'stopped',
      listenPort: this.client.port,
      recvBufferBytes: this.client.recvBufferSize,
      server: `${this.client.options.serverHost}:${this.client.options.serverPort}`,
      ...base,
    };
  }
}

/** `rate` a second on average, up to `burst` at once. */
class TokenBucket {
  private tokens: number;
  private at = 0;

  constructor(private readonly rate: number, private readonly burst: number) {
    this.tokens = burst;
  }

  take(now: number): boolean {
    if (this.at) this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
