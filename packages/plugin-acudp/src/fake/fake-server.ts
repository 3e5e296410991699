import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { decodeCommand } from '../wire/commands.js';
import { encodeEvent } from '../wire/encode.js';
import { NO_CAR, NO_TIME, PROTOCOL_VERSION, SessionType } from '../wire/ids.js';
import type { AcspCommand, AcspEvent, DecodeError, LeaderboardEntry, SessionInfoEvent } from '../wire/types.js';
import { seededRandom } from './random.js';
import { gearAndRpm, trackPoint, trackVelocity } from './track.js';

export interface FakeSession {
  name: string;
  /** 1 practice, 2 qualify, 3 race. */
  type: number;
  /** Length of a timed session, minutes (what SESSION_INFO reports). */
  timeMinutes?: number;
  /** Laps of a race. */
  laps?: number;
  /** Wait before a race starts, ms (SESSION_INFO's wait_time; elapsed_ms is negative meanwhile). */
  waitTimeMs?: number;
  /** How long the session really runs here, ms (default timeMinutes in ms); lets a demo cycle fast. */
  durationMs?: number;
}

export interface FakeAcServerOptions {
  /** Entry-list slots (car ids 0 .. cars-1). Default 8. */
  cars?: number;
  /** How many of them connect at start. Default: all. */
  drivers?: number;
  /** Where the plugin listens (`UDP_PLUGIN_ADDRESS`). Default 127.0.0.1:12000. */
  pluginHost?: string;
  pluginPort?: number;
  /** Where this server takes commands (`UDP_PLUGIN_LOCAL_PORT`); 0 = ephemeral. Default 127.0.0.1:0. */
  commandHost?: string;
  commandPort?: number;
  /** Typical lap time, ms (each car a little slower than the one before). Default 90000. */
  lapMs?: number;
  sessions?: FakeSession[];
  serverName?: string;
  track?: string;
  trackConfig?: string;
  carModel?: string;
  weather?: string;
  ambientTempC?: number;
  roadTempC?: number;
  /** Simulation step when no car updates are asked for, ms. Default 50. */
  tickMs?: number;
  /** Delay between NEW_CONNECTION and CLIENT_LOADED, ms. Default 300. */
  loadDelayMs?: number;
  /** Mean gap between chat lines from drivers, ms; 0 = none. Default 20000. */
  chatEveryMs?: number;
  /** Mean gap between collisions, ms; 0 = none. Default 8000. */
  collisionEveryMs?: number;
  /** Mean gap between a driver leaving and another joining, ms; 0 = none. Default 0. */
  churnEveryMs?: number;
  /** Seed of the random choices. Default 1. */
  seed?: number;
  /**
   * Start as if the plugin joined a session already under way: every driver loaded, two to four
   * laps done, each car somewhere on its lap, so the first lap (with the server's standings) comes
   * within seconds. Default false: every car starts its first lap at the start.
   */
  midSession?: boolean;
}

export interface FakeServerStats {
  /** Messages sent to the plugin, by event type. */
  sent: Record<string, number>;
  carUpdates: number;
  commands: number;
  badCommands: number;
}

interface SimCar {
  id: number;
  connected: boolean;
  loaded: boolean;
  driverName: string;
  driverGuid: string;
  driverTeam: string;
  carSkin: string;
  /** Normalized spline position. */
  s: number;
  lapMs: number;
  lapStartedAt: number;
  laps: number;
  bestLapMs: number;
  totalMs: number;
  finished: boolean;
  loadTimer?: NodeJS.Timeout;
}

const DRIVER_NAMES = [
  'Ana Šimić',
  'Zoë Ångström',
  'Jörg Müller',
  'Łukasz Żak',
  '佐藤 健',
  'Kimi 🏎 Räsänen',
  'Renée Dupré',
  'Søren Kjær',
  'José Núñez',
  'Ólafur Þór',
  'Çağla Öztürk',
  'Nguyễn Văn An',
  'Björn Borg',
  'Θεόδωρος Κ.',
  'Иван Петров',
  'Mátyás Győr',
  'Ève Lemaître',
  '𝔐𝔞𝔵 Speed',
  'Chloé Roux',
  'Dario Ricci',
  'Ellis Grant',
  'Fatma Demir',
  'Gustav Lind',
  'Hana Novák',
];
const TEAMS = ['Scuderia Ünited', 'Équipe Bleue', 'Team 速い', 'Privateer'];
const CHAT_LINES = ['gg', 'sorry turn 1!', 'blue flag please', 'très bien 👍', 'what a lap', 'lag?', 'good race all 🏁'];

const DEFAULT_SESSIONS: FakeSession[] = [
  { name: 'Practice', type: SessionType.PRACTICE, timeMinutes: 10 },
  { name: 'Qualify', type: SessionType.QUALIFY, timeMinutes: 10 },
  { name: 'Race', type: SessionType.RACE, laps: 5, waitTimeMs: 30_000 },
];

export type FakeAcServerEvents = {
  /** A command received from the plugin, decoded. */
  command: [AcspCommand];
  /** A datagram on the command port that is not a valid command. */
  bad_command: [DecodeError, Buffer];
  /** A message sent to the plugin. */
  sent: [AcspEvent];
};

/**
 * A fake Assetto Corsa dedicated server speaking the real UDP plugin protocol over real sockets:
 * sessions that advance, cars lapping a spline with car updates at the requested interval, laps
 * with a leaderboard, connections, chat, collisions, and answers (or ERRORs) to every command.
 */
export class FakeAcServer extends EventEmitter<FakeAcServerEvents> {
  readonly options: Required<Omit<FakeAcServerOptions, 'sessions'>> & { sessions: FakeSession[] };
  readonly stats: FakeServerStats = { sent: {}, carUpdates: 0, commands: 0, badCommands: 0 };
  /** Commands received, oldest first (the last 1000). */
  readonly received: AcspCommand[] = [];
  /** Chat the plugin sent to drivers (SEND_CHAT, BROADCAST_CHAT): carId 255 for a broadcast. */
  readonly chatToDrivers: Array<{ carId: number; message: string }> = [];
  private socket: dgram.Socket | undefined;
  private readonly cars: SimCar[] = [];
  private readonly sessions: FakeSession[];
  private sessionIndex = 0;
  private sessionStartedAt = 0;
  private grip = 0.96;
  private intervalMs = 0;
  private updatesStartedAt = 0;
  private updateRounds = 0;
  private lastTick = 0;
  private timer: NodeJS.Timeout | undefined;
  private nextChatAt = Infinity;
  private nextCollisionAt = Infinity;
  private nextChurnAt = Infinity;
  private raceLeaderDoneAt = 0;
  private readonly random: () => number;
  private boundPort = 0;

  constructor(options: FakeAcServerOptions = {}) {
    super();
    const cars = options.cars ?? 8;
    if (!Number.isInteger(cars) || cars < 1 || cars > 254) throw new RangeError(`cars must be 1 to 254, got ${cars}`);
    this.options = {
      cars,
      drivers: Math.min(cars, options.drivers ?? cars),
      pluginHost: options.pluginHost ?? '127.0.0.1',
      pluginPort: options.pluginPort ?? 12000,
      commandHost: options.commandHost ?? '127.0.0.1',
      commandPort: options.commandPort ?? 0,
      lapMs: options.lapMs ?? 90_000,
      sessions: options.sessions ?? DEFAULT_SESSIONS,
      serverName: options.serverName ?? 'acgateway fake server 🏁',
      track: options.track ?? 'ks_red_bull_ring',
      trackConfig: options.trackConfig ?? 'layout_gp',
      carModel: options.carModel ?? 'ks_ferrari_sf15t',
      weather: options.weather ?? '3_clear',
      ambientTempC: options.ambientTempC ?? 24,
      roadTempC: options.roadTempC ?? 30,
      tickMs: options.tickMs ?? 50,
      loadDelayMs: options.loadDelayMs ?? 300,
      chatEveryMs: options.chatEveryMs ?? 20_000,
      collisionEveryMs: options.collisionEveryMs ?? 8_000,
      churnEveryMs: options.churnEveryMs ?? 0,
      seed: options.seed ?? 1,
      midSession: options.midSession ?? false,
    };
    if (this.options.sessions.length === 0 || this.options.sessions.length > 255) throw new RangeError('sessions must list 1 to 255 sessions');
    this.sessions = this.options.sessions.map((s) => ({ ...s }));
    this.random = seededRandom(this.options.seed);
    for (let id = 0; id < cars; id++) {
      this.cars.push({
        id,
        connected: false,
        loaded: false,
        driverName: DRIVER_NAMES[id % DRIVER_NAMES.length]! + (id >= DRIVER_NAMES.length ? ` ${Math.floor(id / DRIVER_NAMES.length) + 1}` : ''),
        driverGuid: String(76561198000000000n + BigInt(id * 7919 + 1)),
        driverTeam: TEAMS[id % TEAMS.length]!,
        carSkin: `${String(id).padStart(2, '0')}_livery`,
        s: 0,
        lapMs: this.options.lapMs * (1 + id * 0.004),
        lapStartedAt: 0,
        laps: 0,
        bestLapMs: NO_TIME,
        totalMs: 0,
        finished: false,
      });
    }
  }

  /** The bound command port (useful with commandPort 0), or 0 before start(). */
  get commandPort(): number {
    return this.boundPort;
  }

  /** The car-update interval the plugin asked for, ms (0 = off). */
  get realtimeIntervalMs(): number {
    return this.intervalMs;
  }

  get currentSessionIndex(): number {
    return this.sessionIndex;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Where events go; may be changed before start() (e.g. to a plugin that bound port 0). */
  setPluginAddress(port: number, host = this.options.pluginHost): void {
    this.options.pluginPort = port;
    this.options.pluginHost = host;
  }

  /** Binds the command port only (so its number is known before start()). start() does this too. */
  async listen(): Promise<number> {
    if (this.socket) return this.boundPort;
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => {
        socket.close();
        reject(new Error(`fake AC server cannot bind its command port ${this.options.commandHost}:${this.options.commandPort}: ${err.message}`, { cause: err }));
      });
      socket.bind(this.options.commandPort, this.options.commandHost, () => resolve());
    });
    socket.removeAllListeners('error');
    socket.on('error', () => {
      // ICMP "port unreachable" from a plugin that is not listening yet: a real server ignores it too.
    });
    socket.on('message', (msg) => this.onCommand(msg));
    this.socket = socket;
    this.boundPort = socket.address().port;
    return this.boundPort;
  }

  /** Binds (if not yet), announces VERSION and the first session, connects the drivers, starts the clock. */
  async start(): Promise<void> {
    if (this.timer) return;
    await this.listen();
    const now = Date.now();
    this.lastTick = now;
    this.emitEvent({ type: 'version', protocolVersion: PROTOCOL_VERSION });
    this.beginSession(0, true);
    for (let id = 0; id < this.options.drivers; id++) this.connect(id);
    if (this.options.midSession) this.underWay(now);
    this.scheduleRandom(now);
    this.timer = setInterval(() => this.tick(), this.tickEvery());
  }

  /** `midSession`: the connected cars loaded, with laps done and spread around the lap. */
  private underWay(now: number): void {
    // A third of a timed session gone (never so much that it ends at once).
    const session = this.session();
    const duration = session.durationMs ?? (session.timeMinutes ?? 0) * 60_000;
    if (duration > 0) this.sessionStartedAt = now - Math.round(duration / 3);
    for (const c of this.cars) {
      if (!c.connected) continue;
      if (c.loadTimer) clearTimeout(c.loadTimer);
      c.loadTimer = undefined;
      c.loaded = true;
      c.laps = 2 + (c.id % 3);
      c.bestLapMs = Math.round(c.lapMs);
      c.totalMs = c.laps * c.lapMs;
      // Spread by the golden ratio (no two cars in one place); car 0 just short of the line, so the
      // first crossing, and the server's standings with it, come at once.
      c.s = (((0.995 - c.id * 0.618034) % 1) + 1) % 1;
      c.lapStartedAt = now - c.s * c.lapMs;
      this.emitEvent({ type: 'client_loaded', carId: c.id });
    }
  }

  /** Stops timers and closes the socket. Safe to call twice. */
  async stop(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    this.boundPort = 0;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const c of this.cars) if (c.loadTimer) clearTimeout(c.loadTimer);
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private tickEvery(): number {
    return this.intervalMs > 0 ? Math.min(this.intervalMs, this.options.tickMs) : this.options.tickMs;
  }

  private restartTimer(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), this.tickEvery());
  }

  /** Encodes and sends one message to the plugin. */
  emitEvent(event: AcspEvent): void {
    this.sendRaw(encodeEvent(event));
    this.stats.sent[event.type] = (this.stats.sent[event.type] ?? 0) + 1;
    if (this.listenerCount('sent') > 0) this.emit('sent', event);
  }

  /** Sends raw bytes to the plugin (tests of bad input). */
  sendRaw(bytes: Uint8Array): void {
    this.socket?.send(bytes, this.options.pluginPort, this.options.pluginHost);
  }

  private session(): FakeSession {
    return this.sessions[this.sessionIndex]!;
  }

  private elapsedMs(now = Date.now()): number {
    const s = this.session();
    return now - this.sessionStartedAt - (s.type === SessionType.RACE ? (s.waitTimeMs ?? 0) : 0);
  }

  /** The SESSION_INFO body of a session. */
  sessionInfo(index = this.sessionIndex, type: SessionInfoEvent['type'] = 'session_info'): SessionInfoEvent {
    const s = this.sessions[index]!;
    const elapsed = index === this.sessionIndex ? this.elapsedMs() : 0;
    return {
      type,
      protocolVersion: PROTOCOL_VERSION,
      sessionIndex: index,
      currentSessionIndex: this.sessionIndex,
      sessionCount: this.sessions.length,
      serverName: this.options.serverName,
      track: this.options.track,
      trackConfig: this.options.trackConfig,
      name: s.name,
      sessionType: s.type,
      timeMinutes: s.timeMinutes ?? 0,
      laps: s.laps ?? 0,
      waitTime: Math.min(0xffff, s.waitTimeMs ?? 0),
      ambientTempC: this.options.ambientTempC,
      roadTempC: this.options.roadTempC,
      weatherGraphics: this.options.weather,
      elapsedMs: Math.max(-0x80000000, Math.min(0x7fffffff, Math.round(elapsed))),
    };
  }

  private beginSession(index: number, announce: boolean): void {
    this.sessionIndex = index;
    const now = Date.now();
    this.sessionStartedAt = now;
    this.raceLeaderDoneAt = 0;
    for (const c of this.cars) {
      c.s = 0;
      c.laps = 0;
      c.bestLapMs = NO_TIME;
      c.totalMs = 0;
      c.finished = false;
      c.lapStartedAt = now + (this.session().type === SessionType.RACE ? (this.session().waitTimeMs ?? 0) : 0);
    }
    if (announce) this.emitEvent(this.sessionInfo(index, 'new_session'));
  }

  /** Ends the current session as the server does on its own: END_SESSION, then the next NEW_SESSION. */
  endSession(): void {
    const d = new Date();
    const name = this.session().name.toUpperCase();
    this.emitEvent({ type: 'end_session', resultsFile: `results/${d.getFullYear()}_${d.getMonth() + 1}_${d.getDate()}_${d.getHours()}_${d.getMinutes()}_${name}.json` });
    this.beginSession((this.sessionIndex + 1) % this.sessions.length, true);
  }

  /** NEXT_SESSION as forced by a command: no END_SESSION (as the capture shows). */
  nextSession(): void {
    this.beginSession((this.sessionIndex + 1) % this.sessions.length, true);
  }

  restartSession(): void {
    this.beginSession(this.sessionIndex, true);
  }

  /** A driver joins a slot: NEW_CONNECTION now, CLIENT_LOADED after `loadDelayMs`. */
  connect(carId: number): void {
    const c = this.cars[carId];
    if (!c || c.connected) return;
    c.connected = true;
    c.loaded = false;
    c.laps = 0;
    c.bestLapMs = NO_TIME;
    c.totalMs = 0;
    c.s = 0;
    this.emitEvent({ type: 'new_connection', driverName: c.driverName, driverGuid: c.driverGuid, carId, carModel: this.options.carModel, carSkin: c.carSkin });
    c.loadTimer = setTimeout(() => {
      c.loadTimer = undefined;
      if (!c.connected || !this.socket) return;
      c.loaded = true;
      c.lapStartedAt = Math.max(Date.now(), c.lapStartedAt);
      this.emitEvent({ type: 'client_loaded', carId });
    }, this.options.loadDelayMs);
  }

  /** A driver leaves: CONNECTION_CLOSED. */
  disconnect(carId: number): void {
    const c = this.cars[carId];
    if (!c || !c.connected) return;
    c.connected = false;
    c.loaded = false;
    if (c.loadTimer) clearTimeout(c.loadTimer);
    this.emitEvent({ type: 'connection_closed', driverName: c.driverName, driverGuid: c.driverGuid, carId, carModel: this.options.carModel, carSkin: c.carSkin });
  }

  /** A driver types a line. */
  chat(carId: number, message: string): void {
    this.emitEvent({ type: 'chat', carId, message });
  }

  /** A collision: with another car when `otherCarId` is given, else with the environment. */
  collide(carId: number, otherCarId?: number): void {
    const c = this.cars[carId];
    const pos = trackPoint(c ? c.s : 0);
    const impactSpeed = Math.round((5 + this.random() * 55) * 4) / 4;
    const relPos = { x: this.random() * 2 - 1, y: 0.1, z: this.random() * 4 - 2 };
    if (otherCarId !== undefined) {
      this.emitEvent({ type: 'client_event', eventType: 10, kind: 'collision_with_car', carId, otherCarId, impactSpeed, worldPos: pos, relPos });
    } else {
      this.emitEvent({ type: 'client_event', eventType: 11, kind: 'collision_with_env', carId, otherCarId: NO_CAR, impactSpeed, worldPos: pos, relPos });
    }
  }

  /** Completes a lap of a car now (tests), as if it crossed the line. */
  completeLap(carId: number, now = Date.now()): void {
    const c = this.cars[carId];
    if (!c || !c.connected) return;
    this.lapDone(c, now);
  }

  private carInfo(c: SimCar): AcspEvent {
    return {
      type: 'car_info',
      carId: c.id,
      isConnected: c.connected,
      carModel: this.options.carModel,
      carSkin: c.carSkin,
      driverName: c.connected ? c.driverName : '',
      driverTeam: c.connected ? c.driverTeam : '',
      driverGuid: c.connected ? c.driverGuid : '',
    };
  }

  private leaderboard(): LeaderboardEntry[] {
    const race = this.session().type === SessionType.RACE;
    const rows = this.cars.map((c) => ({
      carId: c.id,
      timeMs: race ? (c.laps > 0 ? Math.min(NO_TIME, Math.round(c.totalMs)) : NO_TIME) : c.bestLapMs,
      laps: c.laps,
      completed: c.finished,
    }));
    if (race) rows.sort((a, b) => b.laps - a.laps || a.timeMs - b.timeMs || a.carId - b.carId);
    else rows.sort((a, b) => a.timeMs - b.timeMs || a.carId - b.carId);
    return rows;
  }

  private lapDone(c: SimCar, now: number): void {
    const lapTimeMs = Math.max(1, Math.round(now - c.lapStartedAt));
    const cuts = this.random() < 0.1 ? 1 + Math.floor(this.random() * 3) : 0;
    c.lapStartedAt = now;
    c.laps++;
    c.totalMs += lapTimeMs;
    if (cuts === 0 && lapTimeMs < c.bestLapMs) c.bestLapMs = lapTimeMs;
    const s = this.session();
    if (s.type === SessionType.RACE && s.laps && (c.laps >= s.laps || this.raceLeaderDoneAt > 0)) {
      c.finished = true;
      if (!this.raceLeaderDoneAt) this.raceLeaderDoneAt = now;
    }
    this.grip = Math.min(1, this.grip + 0.001);
    this.emitEvent({ type: 'lap_completed', carId: c.id, lapTimeMs, cuts, leaderboard: this.leaderboard(), gripLevel: this.grip });
  }

  private moving(c: SimCar, now: number): boolean {
    return c.connected && c.loaded && !c.finished && now >= c.lapStartedAt;
  }

  private tick(): void {
    if (!this.socket) return;
    const now = Date.now();
    const dt = Math.min(1000, now - this.lastTick);
    this.lastTick = now;
    for (const c of this.cars) {
      if (!this.moving(c, now)) continue;
      c.s += dt / c.lapMs;
      if (c.s >= 1) {
        c.s -= Math.floor(c.s);
        this.lapDone(c, now);
      }
    }
    this.sendDueUpdates(now);
    this.maybeEndSession(now);
    this.randomEvents(now);
  }

  private sendDueUpdates(now: number): void {
    if (this.intervalMs <= 0) return;
    const due = Math.floor((now - this.updatesStartedAt) / this.intervalMs);
    // Catch up on late timers, but never burst more than a few rounds after a stall.
    let rounds = Math.min(due - this.updateRounds, 5);
    if (due - this.updateRounds > 5) this.updateRounds = due - 5;
    for (; rounds > 0; rounds--) {
      this.updateRounds++;
      for (const c of this.cars) if (c.connected && c.loaded) this.sendCarUpdate(c, now);
    }
  }

  private sendCarUpdate(c: SimCar, now: number): void {
    const moving = this.moving(c, now);
    const velocity = moving ? trackVelocity(c.s, c.lapMs) : { x: 0, y: 0, z: 0 };
    const speed = Math.hypot(velocity.x, velocity.y, velocity.z);
    const { gear, engineRpm } = gearAndRpm(speed);
    this.emitEvent({ type: 'car_update', carId: c.id, pos: trackPoint(c.s), velocity, gear, engineRpm, normalizedSplinePos: c.s });
    this.stats.carUpdates++;
  }

  private maybeEndSession(now: number): void {
    const s = this.session();
    if (s.type === SessionType.RACE) {
      const connected = this.cars.filter((c) => c.connected);
      const allDone = connected.length > 0 && connected.every((c) => c.finished);
      const graceOver = this.raceLeaderDoneAt > 0 && now - this.raceLeaderDoneAt > this.options.lapMs * 1.5;
      if (allDone || graceOver) this.endSession();
      return;
    }
    const duration = s.durationMs ?? (s.timeMinutes ?? 0) * 60_000;
    if (duration > 0 && now - this.sessionStartedAt >= duration) this.endSession();
  }

  private gap(mean: number): number {
    return mean * (0.5 + this.random());
  }

  private scheduleRandom(now: number): void {
    const o = this.options;
    this.nextChatAt = o.chatEveryMs > 0 ? now + this.gap(o.chatEveryMs) : Infinity;
    this.nextCollisionAt = o.collisionEveryMs > 0 ? now + this.gap(o.collisionEveryMs) : Infinity;
    this.nextChurnAt = o.churnEveryMs > 0 ? now + this.gap(o.churnEveryMs) : Infinity;
  }

  private pick(list: SimCar[]): SimCar | undefined {
    return list.length ? list[Math.floor(this.random() * list.length)] : undefined;
  }

  private randomEvents(now: number): void {
    const o = this.options;
    const loaded = this.cars.filter((c) => c.loaded);
    if (now >= this.nextChatAt) {
      this.nextChatAt = now + this.gap(o.chatEveryMs);
      const c = this.pick(loaded);
      if (c) this.chat(c.id, CHAT_LINES[Math.floor(this.random() * CHAT_LINES.length)]!);
    }
    if (now >= this.nextCollisionAt) {
      this.nextCollisionAt = now + this.gap(o.collisionEveryMs);
      const c = this.pick(loaded);
      if (c) {
        const other = this.random() < 0.3 ? this.pick(loaded.filter((x) => x !== c)) : undefined;
        this.collide(c.id, other?.id);
      }
    }
    if (now >= this.nextChurnAt) {
      this.nextChurnAt = now + this.gap(o.churnEveryMs);
      const leaving = this.pick(this.cars.filter((c) => c.connected));
      const joining = this.pick(this.cars.filter((c) => !c.connected && c !== leaving));
      if (leaving) this.disconnect(leaving.id);
      if (joining) this.connect(joining.id);
    }
  }

  private error(message: string): void {
    this.emitEvent({ type: 'server_error', message });
  }

  private onCommand(msg: Buffer): void {
    const r = decodeCommand(msg);
    if (!r.ok) {
      this.stats.badCommands++;
      if (this.listenerCount('bad_command') > 0) this.emit('bad_command', r.error, msg);
      return;
    }
    const cmd = r.value;
    this.stats.commands++;
    this.received.push(cmd);
    if (this.received.length > 1000) this.received.shift();
    const cars = this.cars.length;
    switch (cmd.type) {
      case 'realtimepos_interval':
        this.intervalMs = cmd.intervalMs;
        this.updatesStartedAt = Date.now();
        this.updateRounds = 0;
        this.restartTimer();
        break;
      case 'get_car_info':
        if (cmd.carId >= cars) this.error(`ERROR: ACSP_GET_CAR_INFO index ${cmd.carId} out of bound`);
        else this.emitEvent(this.carInfo(this.cars[cmd.carId]!));
        break;
      case 'send_chat':
        if (cmd.carId >= cars) this.error(`ERROR: ACSP_SEND_CHAT index ${cmd.carId} out of bound`);
        else this.chatToDrivers.push({ carId: cmd.carId, message: cmd.message });
        break;
      case 'broadcast_chat':
        this.chatToDrivers.push({ carId: NO_CAR, message: cmd.message });
        break;
      case 'get_session_info': {
        const i = cmd.sessionIndex === -1 ? this.sessionIndex : cmd.sessionIndex;
        if (i < 0 || i >= this.sessions.length) this.error(`ERROR: ACSP_GET_SESSION_INFO out of bounds: ${cmd.sessionIndex}`);
        else this.emitEvent(this.sessionInfo(i));
        break;
      }
      case 'set_session_info': {
        const s = this.sessions[cmd.sessionIndex];
        if (!s) {
          this.error(`ERROR: ACSP_SET_SESSION_INFO out of bounds: ${cmd.sessionIndex}`);
          break;
        }
        Object.assign(s, { name: cmd.name, type: cmd.sessionType, laps: cmd.laps, timeMinutes: Math.round(cmd.timeS / 60), waitTimeMs: cmd.waitTimeS * 1000, durationMs: undefined });
        this.emitEvent(this.sessionInfo(cmd.sessionIndex));
        break;
      }
      case 'kick_user':
        if (cmd.carId >= cars) this.error(`ERROR: ACSP_KICK_USER index ${cmd.carId} out of bound`);
        else this.disconnect(cmd.carId);
        break;
      case 'next_session':
        this.nextSession();
        break;
      case 'restart_session':
        this.restartSession();
        break;
      case 'admin_command':
        this.adminCommand(cmd.command);
        break;
    }
    this.emit('command', cmd);
  }

  /** The vanilla chat admin commands the fake understands; others are only recorded. */
  private adminCommand(line: string): void {
    const [word, arg] = line.trim().split(/\s+/);
    switch (word) {
      case '/next_session':
      case '/ksns':
        return this.nextSession();
      case '/restart_session':
      case '/ksrs':
        return this.restartSession();
      case '/kick_id': {
        const id = Number(arg);
        if (Number.isInteger(id) && id >= 0 && id < this.cars.length) this.disconnect(id);
        else this.error(`ERROR: /kick_id: no car ${arg ?? ''}`);
        return;
      }
      default:
        return;
    }
  }
}
