/**
 * The poller: opens the Telemetry and Scoring buffers (and reopens them when rF2 comes back), takes a
 * consistent copy of each per poll, decodes what changed and publishes the rf2/* topics.
 */
import type { ComponentStatus, Logger, Source } from '@acgateway/core';
import { RateLimitedLog } from '@acgateway/core';
import {
  COPY_LAYOUTS,
  READ_BUFFERS,
  decodeScoring,
  decodeTelemetryVehicle,
  newDecodeStats,
  scoringVehicleCount,
  telemetryVehicleCount,
  type DecodeStats,
  type ReadBuffer,
  type ScoringFrame,
  type TelemetryVehicle,
  type VehicleScoring,
  type VehicleCount,
} from './wire/layout.js';
import { feedMessage, type FeedMessage, type Pedals, type ScoringMessage, type StatusMessage, type StatusState, type VehicleEntry, type VehiclesMessage } from './messages.js';
import { findPlayer } from './player.js';
import type { MappedRegion, MappingOpener } from './readers/types.js';
import { ConsistentCopy, type TakeResult } from './snapshot.js';

export interface Rf2SourceOptions {
  pollHz: number;
  /** Most rf2/scoring messages per second (the plugin writes scoring at 5 Hz). */
  scoringHz: number;
  /** Most rf2/vehicles messages per second. */
  vehiclesHz: number;
  pedals: Pedals;
  /** Wait between attempts to open a missing buffer, ms. */
  retryOpenMs?: number;
  /** A Windows view that has not changed for this long is reopened, to notice that rF2 exited (ms, default 5000). */
  reopenIdleMs?: number;
  /** Interval of repeated warnings (torn buffers, bad counts), ms. */
  warnIntervalMs?: number;
}

export interface Rf2SourceDeps {
  opener: MappingOpener;
  logger: Logger;
  publish(topic: string, data: unknown, options?: { retain?: boolean }): void;
  /** Forgets a retained topic (the player is gone: a late feed client must not get stale data). */
  clearRetained?(topic: string): void;
  countBadInput(kind: string): void;
  now(): number;
  /** Told how many torn copies a take of a buffer met (a metric). */
  onTorn?(buffer: ReadBuffer, copies: number): void;
  /** Whether anyone listens on a topic: rf2/vehicles (every car decoded) is skipped when nobody does. */
  hasSubscribers?(topic: string): boolean;
}

export interface PlayerState {
  feed: FeedMessage;
  telemetry: TelemetryVehicle;
}

const SCORING_POLL_HZ = 10;

interface Slot {
  buffer: ReadBuffer;
  region: MappedRegion | undefined;
  copy: ConsistentCopy;
  lastOpenTry: number;
  openFailure: string | undefined;
  lastChange: number;
}

export class Rf2Source implements Source {
  readonly name = 'shared-memory';
  private readonly slots: Record<ReadBuffer, Slot>;
  /** One interval for the whole run (cheaper than a timer re-armed each poll), and the first poll at once. */
  private timer: NodeJS.Timeout | undefined;
  private first: NodeJS.Immediate | undefined;
  private running = false;
  /** A poll waiting between retries of a torn copy: the interval skips while it lasts, stop() awaits it. */
  private polling: Promise<void> | undefined;
  private readonly warn: RateLimitedLog;
  /** The last published status; undefined until the first poll has decided one. */
  private current: StatusMessage | undefined;
  private player: PlayerState | undefined;
  private scoring: ScoringFrame | undefined;
  private scoringPending = false;
  private lastScoringPublish = -Infinity;
  private lastVehiclesPublish = -Infinity;
  private lastScoringPoll = -Infinity;
  private readonly stats: DecodeStats = newDecodeStats();
  private ticks = 0;
  /** The scoring entry of the player the 'connected' status names (a new scoring frame makes new entries). */
  private connectedAs: VehicleScoring | undefined;
  /** Scoring facts by mID, joined into rf2/vehicles. */
  private readonly scoringById = new Map<number, VehicleScoring>();

  constructor(private readonly deps: Rf2SourceDeps, private readonly options: Rf2SourceOptions) {
    const slot = (buffer: ReadBuffer): Slot => ({
      buffer,
      region: undefined,
      copy: new ConsistentCopy(COPY_LAYOUTS[buffer]),
      lastOpenTry: -Infinity,
      openFailure: undefined,
      lastChange: 0,
    });
    this.slots = {
      Telemetry: slot('Telemetry'),
      Scoring: slot('Scoring'),
    };
    this.warn = new RateLimitedLog(options.warnIntervalMs ?? 5000, deps.now);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.current = undefined;
    this.first = setImmediate(() => this.run());
    this.timer = setInterval(() => this.run(), 1000 / this.options.pollHz);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearImmediate(this.first);
    clearInterval(this.timer);
    this.timer = undefined;
    // A poll may be waiting between retries of a torn copy: it finishes on open regions, then they close.
    await this.polling;
    for (const b of READ_BUFFERS) this.closeSlot(this.slots[b]);
    this.dropPlayer();
  }

  /** The player's feed message and telemetry, when the state is 'connected'. */
  currentPlayer(): PlayerState | undefined {
    return this.player;
  }

  currentStatus(): StatusMessage {
    return this.current ?? this.makeStatus('not_running', this.running ? 'the first poll has not run yet' : 'the rf2 source is stopped');
  }

  counters() {
    const of = (b: ReadBuffer) => ({ location: this.deps.opener.describe(b), open: Boolean(this.slots[b].region), ...this.slots[b].copy.stats });
    return { polls: this.ticks, nonFiniteFloats: this.stats.nonFinite, telemetry: of('Telemetry'), scoring: of('Scoring') };
  }

  status(): ComponentStatus {
    const s = this.currentStatus();
    return { state: s.state, reason: s.reason, reader: s.reader };
  }

  private run(): void {
    if (!this.running || this.polling) return;
    let pending: Promise<void> | void = undefined;
    try {
      pending = this.tick();
    } catch (err) {
      this.tickFailed(err);
    }
    // Usually the poll is done here; one waiting between retries of a torn copy is awaited by stop().
    if (pending) this.polling = pending.catch((err) => this.tickFailed(err)).finally(() => (this.polling = undefined));
  }

  /** A poll that fails (an unexpected error from the OS or koffi) must not stop polling or the host. */
  private tickFailed(err: unknown): void {
    this.warn.log('tick', (suppressed) => this.deps.logger.error({ err: (err as Error).message, suppressed }, 'rf2 poll failed'));
  }

  /**
   * One poll. Public so a benchmark can drive it without timers. Synchronous unless a torn copy is
   * retried: then it returns the promise of the rest of the poll.
   */
  tick(): void | Promise<void> {
    this.ticks++;
    const now = this.deps.now();
    const tel = this.slots.Telemetry;
    const sco = this.slots.Scoring;
    // The game writes scoring at 5 Hz: reading it at 10 Hz sees every frame, at a fifth of the cost of 50 Hz.
    const pollScoring = !sco.region || !sco.copy.hasData || now - this.lastScoringPoll >= 1000 / Math.min(this.options.pollHz, SCORING_POLL_HZ);
    this.ensureOpen(tel, now);
    if (pollScoring) this.ensureOpen(sco, now);
    if (!tel.region || !sco.region) {
      this.dropPlayer();
      this.publishStatus('not_running', this.openFailures()!);
      return;
    }
    if (!pollScoring) return this.afterScoring('unchanged', now);
    this.lastScoringPoll = now;
    const ts = this.takeCopy(sco, now);
    return ts instanceof Promise ? ts.then((r) => this.afterScoring(r, now)) : this.afterScoring(ts, now);
  }

  private afterScoring(ts: TakeResult, now: number): void | Promise<void> {
    const tt = this.takeCopy(this.slots.Telemetry, now);
    return tt instanceof Promise ? tt.then((r) => this.afterTakes(ts, r, now)) : this.afterTakes(ts, tt, now);
  }

  private afterTakes(ts: TakeResult, tt: TakeResult, now: number): void {
    const tel = this.slots.Telemetry;
    const sco = this.slots.Scoring;
    if (ts === 'fresh') this.onScoring();
    if (this.scoringPending && now - this.lastScoringPublish >= 1000 / this.options.scoringHz) {
      this.scoringPending = false;
      this.lastScoringPublish = now;
      this.deps.publish('rf2/scoring', { ...this.scoring!.info, vehicles: this.scoring!.vehicles } satisfies ScoringMessage);
    }
    if (!sco.copy.hasData || !tel.copy.hasData) {
      this.dropPlayer();
      this.publishStatus('no_session', `waiting for a consistent copy of ${!sco.copy.hasData ? 'scoring' : 'telemetry'}`);
      return;
    }
    if (tt !== 'fresh' && ts !== 'fresh') return;
    const lookup = findPlayer(sco.copy.data, tel.copy.data);
    if (tt === 'fresh') this.onTelemetry(now);
    if (!lookup.ok) {
      this.dropPlayer();
      this.publishStatus(lookup.state, lookup.reason);
      return;
    }
    const vs = this.scoring!.vehicles[lookup.scoringIndex]!;
    const before = this.stats.nonFinite;
    const telemetry = decodeTelemetryVehicle(tel.copy.data, lookup.telemetryIndex, this.stats);
    this.checkFloats(before, 'telemetry');
    this.player = { feed: feedMessage(vs, telemetry, this.options.pedals), telemetry };
    // The same player as the last poll: the status stands (its text is not rebuilt 50 times a second).
    if (this.current?.state !== 'connected' || this.connectedAs !== vs || this.current.reader !== this.deps.opener.kind) {
      this.connectedAs = vs;
      this.publishStatus('connected', `player "${vs.driverName}" (mID ${lookup.id}) in ${vs.vehicleName}`);
    }
    if (tt === 'fresh') this.deps.publish('rf2/telemetry', telemetry);
    // Retained: the feed sends the newest at its own rate, and a client that connects gets it at once.
    this.deps.publish('rf2/player', this.player.feed, { retain: true });
  }

  private dropPlayer(): void {
    if (!this.player) return;
    this.player = undefined;
    this.deps.clearRetained?.('rf2/player');
  }

  private ensureOpen(slot: Slot, now: number): void {
    if (slot.region) {
      const gone = slot.region.gone();
      const idle = !gone && slot.region.outlivesWriter && now - slot.lastChange > (this.options.reopenIdleMs ?? 5000);
      if (!gone && !idle) return;
      if (gone) this.deps.logger.info({ buffer: slot.buffer }, `rF2 ${slot.buffer} buffer closed: ${gone}`);
      // An idle view is reopened at once and keeps its last copy: if rF2 still runs, nothing is republished.
      this.closeSlot(slot, idle);
      // Tried again at once: the status then says why it is gone ("does not exist"), not "not opened yet".
      slot.lastOpenTry = -Infinity;
    }
    if (now - slot.lastOpenTry < (this.options.retryOpenMs ?? 1000)) return;
    slot.lastOpenTry = now;
    const r = this.deps.opener.open(slot.buffer);
    if (!r.ok) {
      if (r.code === 'too_short') {
        this.deps.countBadInput('short_mapping');
        this.warn.log(`short:${slot.buffer}`, (suppressed) => this.deps.logger.warn({ buffer: slot.buffer, suppressed }, r.reason));
      } else if (r.code === 'error') {
        this.warn.log(`open:${slot.buffer}`, (suppressed) => this.deps.logger.warn({ buffer: slot.buffer, suppressed }, r.reason));
      }
      slot.openFailure = r.reason;
      return;
    }
    if (r.note) this.deps.logger.warn(r.note);
    slot.region = r.region;
    slot.openFailure = undefined;
    slot.lastChange = now;
    // An idle view reopened (it kept its copy) is routine: not worth an info line every few seconds.
    const level = slot.copy.hasData ? 'debug' : 'info';
    this.deps.logger[level]({ buffer: slot.buffer, location: r.region.location, reader: r.region.kind }, `rF2 ${slot.buffer} buffer opened`);
  }

  private closeSlot(slot: Slot, keepCopy = false): void {
    if (!slot.region) return;
    try {
      slot.region.close();
    } catch (err) {
      this.deps.logger.warn({ buffer: slot.buffer, err: (err as Error).message }, 'closing an rF2 buffer failed');
    }
    slot.region = undefined;
    if (!keepCopy) slot.copy.reset();
  }

  private takeCopy(slot: Slot, now: number): TakeResult | Promise<TakeResult> {
    if (!slot.region) return 'failed';
    const before = slot.copy.stats.tornCopies;
    const r = slot.copy.take(slot.region);
    return r instanceof Promise ? r.then((v) => this.tookCopy(slot, now, before, v)) : this.tookCopy(slot, now, before, r);
  }

  private tookCopy(slot: Slot, now: number, before: number, r: TakeResult): TakeResult {
    const torn = slot.copy.stats.tornCopies - before;
    if (torn > 0) this.deps.onTorn?.(slot.buffer, torn);
    if (r === 'fresh') slot.lastChange = now;
    else if (r === 'torn') {
      this.deps.countBadInput('torn_buffer');
      const v = slot.copy.lastTorn!;
      this.warn.log(`torn:${slot.buffer}`, (suppressed) =>
        this.deps.logger.warn(
          { buffer: slot.buffer, begin: v.begin, end: v.end, tornCopies: slot.copy.stats.tornCopies, suppressed },
          `rF2 ${slot.buffer} buffer stays mid-write (version Begin ${v.begin} != End ${v.end}); its last good copy is kept and nothing new is published`,
        ),
      );
    } else if (r === 'failed') {
      this.deps.logger.info({ buffer: slot.buffer }, `rF2 ${slot.buffer} buffer could not be read in full; reopening`);
      this.closeSlot(slot);
    }
    return r;
  }

  private checkCount(buffer: ReadBuffer, c: VehicleCount): void {
    if (!c.problem) return;
    this.deps.countBadInput('num_vehicles');
    this.warn.log(`count:${buffer}`, (suppressed) =>
      this.deps.logger.warn({ buffer, mNumVehicles: c.raw, suppressed }, `rF2 ${buffer} mNumVehicles is ${c.raw} (${c.problem === 'negative' ? 'negative' : 'over 128'}); using ${c.count}`),
    );
  }

  private checkFloats(before: number, what: string): void {
    if (this.stats.nonFinite === before) return;
    this.deps.countBadInput('non_finite_float');
    this.warn.log(`float:${what}`, (suppressed) =>
      this.deps.logger.warn({ count: this.stats.nonFinite - before, suppressed }, `rF2 ${what} holds NaN or infinite floats; they are published as null`),
    );
  }

  private onScoring(): void {
    const data = this.slots.Scoring.copy.data;
    this.checkCount('Scoring', scoringVehicleCount(data));
    const before = this.stats.nonFinite;
    this.scoring = decodeScoring(data, this.stats);
    this.checkFloats(before, 'scoring');
    this.scoringById.clear();
    for (const v of this.scoring.vehicles) {
      if (!this.scoringById.has(v.id)) this.scoringById.set(v.id, v);
    }
    this.scoringPending = true;
  }

  /** Checks a fresh telemetry copy and publishes rf2/vehicles when its rate allows. */
  private onTelemetry(now: number): void {
    const data = this.slots.Telemetry.copy.data;
    const count = telemetryVehicleCount(data);
    this.checkCount('Telemetry', count);
    if (now - this.lastVehiclesPublish < 1000 / this.options.vehiclesHz) return;
    if (this.deps.hasSubscribers && !this.deps.hasSubscribers('rf2/vehicles')) return;
    this.lastVehiclesPublish = now;
    const before = this.stats.nonFinite;
    const vehicles = new Array<VehicleEntry>(count.count);
    for (let i = 0; i < count.count; i++) {
      // Extended in place rather than spread into a copy: at 128 cars the copy doubled the garbage.
      const v = decodeTelemetryVehicle(data, i, this.stats) as VehicleEntry;
      const s = this.scoringById.get(v.id);
      v.driverName = s?.driverName ?? null;
      v.place = s?.place ?? null;
      v.isPlayer = s?.isPlayer ?? false;
      vehicles[i] = v;
    }
    this.checkFloats(before, 'telemetry');
    this.deps.publish('rf2/vehicles', { numVehicles: count.count, vehicles } satisfies VehiclesMessage);
  }

  /** Why the buffers that are not open are not, or undefined when both are. */
  private openFailures(): string | undefined {
    const missing = READ_BUFFERS.map((b) => this.slots[b]).filter((s) => !s.region);
    if (missing.length === 0) return undefined;
    const why = missing.map((s) => s.openFailure ?? `${this.deps.opener.describe(s.buffer)} not opened yet`).join('; ');
    return `rF2 (or its shared memory plugin) is not running: ${why}`;
  }

  private makeStatus(state: StatusState, reason: string): StatusMessage {
    return {
      state,
      reason,
      reader: this.deps.opener.kind,
      telemetry: this.deps.opener.describe('Telemetry'),
      scoring: this.deps.opener.describe('Scoring'),
    };
  }

  /** Publishes the status when its state or reason changed; the message is built only then. */
  private publishStatus(state: StatusState, reason: string): void {
    const prev = this.current;
    if (prev && state === prev.state && reason === prev.reason && this.deps.opener.kind === prev.reader) return;
    const next = this.makeStatus(state, reason);
    const changed = next.state !== prev?.state;
    this.current = next;
    this.deps.publish('rf2/status', next, { retain: true });
    const log = { state: next.state, reason: next.reason };
    // Logged once per state; a new reason within the same state (the other buffer went too) is detail.
    if (!changed) this.deps.logger.debug(log, `rF2 ${next.state.replace('_', ' ')}`);
    else if (next.state === 'connected') this.deps.logger.info(log, 'rF2 player found');
    else this.deps.logger.info(log, `rF2 ${next.state.replace('_', ' ')}`);
  }
}
