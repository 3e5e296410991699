import type { CarInfo, CarUpdate, ChatMessage, Driver, Session, Snapshot, TrackInfo, TrackMap } from '../wire/types.js';

/** A lap seen by comparing two snapshots: Server Manager does not forward LapCompleted itself. */
export interface LapCompleted {
  guid: string;
  carId: number;
  name: string;
  carModel: string;
  lapMs: number | null;
  laps: number;
  totalLaps: number;
  bestLapMs: number | null;
  /** The lap improved the driver's best (a lap with cuts never does). */
  personalBest: boolean;
  position: number | null;
  split: string;
}

/** What an update changed, so the caller publishes only what moved. */
export interface StateChange {
  state: boolean;
  drivers: boolean;
  laps: LapCompleted[];
}

const NOTHING: StateChange = Object.freeze({ state: false, drivers: false, laps: [] }) as StateChange;
const CHAT_KEEP = 50;

/**
 * One server's race state, merged as the official live-timing page does: a snapshot (200) replaces
 * everything; between snapshots the incremental events are applied the way the server applies them,
 * so the state is right even before the snapshot that follows each of them arrives. Driver objects
 * are replaced, never changed in place, because published messages share them.
 */
export class RaceState {
  hasSnapshot = false;
  snapshots = 0;
  snapshotAt: number | null = null;
  session: Session | null = null;
  track: TrackInfo | null = null;
  trackMap: TrackMap | null = null;
  sessionStartedAt: number | null = null;
  realtimeIntervalMs: number | null = null;
  bestLapMs: number | null = null;
  /** From a Version (56) event: acServer (re)started with this protocol version. */
  protocolVersion: number | null = null;
  private connected = new Map<string, Driver>();
  private disconnected = new Map<string, Driver>();
  private carIdToGuid = new Map<number, string>();
  private chatLog: ChatMessage[] = [];
  private chatKeys = new Set<string>();

  connectedDrivers(): Driver[] {
    return [...this.connected.values()];
  }

  disconnectedDrivers(): Driver[] {
    return [...this.disconnected.values()];
  }

  driver(guid: string): Driver | undefined {
    return this.connected.get(guid) ?? this.disconnected.get(guid);
  }

  guidOfCar(carId: number): string | undefined {
    return this.carIdToGuid.get(carId);
  }

  chat(): ChatMessage[] {
    return [...this.chatLog];
  }

  applySnapshot(s: Snapshot, now: number): StateChange {
    const laps = this.hasSnapshot && this.session && sameSession(this.session, s.session) ? this.lapsBetween(s.connected) : [];
    const previous = this.connected;
    this.connected = new Map();
    for (const d of s.connected) {
      const before = previous.get(d.guid);
      // Snapshots carry no speed, gear or rpm: keep what the last CarUpdate said while it is the same car.
      this.connected.set(d.guid, before?.live && before.carId === d.carId ? { ...d, live: before.live } : d);
    }
    this.disconnected = new Map(s.disconnected.map((d) => [d.guid, d]));
    this.carIdToGuid = new Map(Object.entries(s.carIdToGuid).map(([id, guid]) => [Number(id), guid]));
    this.session = s.session;
    this.track = s.track;
    this.trackMap = s.trackMap;
    this.sessionStartedAt = s.sessionStartedAt;
    this.realtimeIntervalMs = s.realtimeIntervalMs;
    this.bestLapMs = s.bestLapMs;
    for (const c of s.chat) this.applyChat(c);
    this.hasSnapshot = true;
    this.snapshots++;
    this.snapshotAt = now;
    return { state: true, drivers: true, laps };
  }

  private lapsBetween(next: Driver[]): LapCompleted[] {
    const out: LapCompleted[] = [];
    for (const d of next) {
      const before = this.connected.get(d.guid);
      if (!before || before.carModel !== d.carModel || d.laps <= before.laps) continue;
      out.push({
        guid: d.guid,
        carId: d.carId,
        name: d.name,
        carModel: d.carModel,
        lapMs: d.lastLapMs,
        laps: d.laps,
        totalLaps: d.totalLaps,
        bestLapMs: d.bestLapMs,
        personalBest: d.bestLapMs !== null && d.bestLapMs !== before.bestLapMs,
        position: d.position,
        split: d.split,
      });
    }
    return out;
  }

  /** As the server does: a new session clears lap data unless it is the same practice looping. */
  applyNewSession(s: Session, now: number): StateChange {
    const looped = this.session !== null && this.session.type === 'practice' && sameSession(this.session, s, false);
    this.session = s;
    if (!looped) {
      for (const [guid, d] of this.connected) this.connected.set(guid, clearLaps(d, now));
      this.disconnected.clear();
    }
    return { state: true, drivers: !looped, laps: [] };
  }

  applyNewConnection(c: CarInfo, now: number): StateChange {
    const known = this.connected.get(c.guid) ?? this.disconnected.get(c.guid);
    let d: Driver;
    if (!known) {
      d = newDriver(c, now);
    } else {
      d = { ...known, ...c, connected: true, connectedAt: now, lastSeenAt: null, loadedAt: null, live: null };
      if (known.carModel !== c.carModel) {
        d = { ...clearLaps(d, now), totalLaps: known.totalLaps, otherCars: [...new Set([...known.otherCars, known.carModel])].filter((m) => m !== c.carModel) };
      }
    }
    this.disconnected.delete(c.guid);
    this.connected.set(c.guid, d);
    this.carIdToGuid.set(c.carId, c.guid);
    return { state: true, drivers: true, laps: [] };
  }

  applyConnectionClosed(c: CarInfo): StateChange {
    const d = this.connected.get(c.guid);
    if (!d) return NOTHING;
    this.connected.delete(c.guid);
    // The server keeps a leaver only if they completed a lap this session.
    if (d.totalLaps > 0) this.disconnected.set(c.guid, { ...d, connected: false, position: null, loadedAt: null, live: null });
    return { state: true, drivers: true, laps: [] };
  }

  /** Returns the updated driver, or undefined when the car is not a connected driver (the server would not send it). */
  applyCarUpdate(u: CarUpdate, now: number): Driver | undefined {
    const guid = this.carIdToGuid.get(u.carId);
    const d = guid === undefined ? undefined : this.connected.get(guid);
    if (!d) return undefined;
    const next: Driver = {
      ...d,
      pos: u.pos,
      lastSeenAt: now,
      live: { pos: u.pos, speedKmh: u.speedKmh, gear: u.gear, rpm: u.rpm, splinePos: u.splinePos, at: now },
      racePosition: u.racePosition ?? d.racePosition,
      inPits: u.inPits ?? d.inPits,
      drsActive: u.drsActive ?? d.drsActive,
      numPits: u.numPits ?? d.numPits,
    };
    this.connected.set(d.guid, next);
    return next;
  }

  applyClientLoaded(carId: number, now: number): StateChange {
    const guid = this.carIdToGuid.get(carId);
    const d = guid === undefined ? undefined : this.connected.get(guid);
    if (!d) return NOTHING;
    this.connected.set(d.guid, { ...d, loadedAt: now });
    return { state: false, drivers: true, laps: [] };
  }

  /** False when the message was already known (the server replays its stored chat to each new connection). */
  applyChat(c: ChatMessage): boolean {
    const key = `${c.at}|${c.guid}|${c.text}`;
    if (this.chatKeys.has(key)) return false;
    this.chatLog.push(c);
    this.chatKeys.add(key);
    while (this.chatLog.length > CHAT_KEEP) {
      const old = this.chatLog.shift()!;
      this.chatKeys.delete(`${old.at}|${old.guid}|${old.text}`);
    }
    return true;
  }

  applyVersion(protocolVersion: number): StateChange {
    this.protocolVersion = protocolVersion;
    return { state: true, drivers: false, laps: [] };
  }
}

function sameSession(a: Session, b: Session, byIndex = true): boolean {
  return a.track === b.track && a.trackConfig === b.trackConfig && a.name === b.name && a.typeCode === b.typeCode && (!byIndex || a.sessionIndex === b.sessionIndex);
}

/** The timing fields of a driver with no laps yet (a new driver, or a new session). */
function noLaps(now: number) {
  return {
    position: null,
    split: '',
    splitMs: null,
    splitLaps: null,
    laps: 0,
    totalLaps: 0,
    lastLapMs: null,
    bestLapMs: null,
    totalLapTimeMs: 0,
    topSpeedBestLapKmh: 0,
    topSpeedThisLapKmh: 0,
    lastLapCompletedAt: now,
  } satisfies Partial<Driver>;
}

function clearLaps(d: Driver, now: number): Driver {
  return { ...d, ...noLaps(now), collisions: [] };
}

function newDriver(c: CarInfo, now: number): Driver {
  return {
    ...c,
    ...noLaps(now),
    connected: true,
    racePosition: null,
    connectedAt: now,
    loadedAt: null,
    lastSeenAt: null,
    pos: null,
    collisions: [],
    otherCars: [],
    inPits: null,
    numPits: null,
    numLongPits: null,
    drsActive: null,
    blueFlag: null,
    pingMs: null,
    live: null,
  };
}
