import { f32, formatGoDuration, formatGoTime, msToNs } from '../wire/go.js';
import type {
  RawCarInfo,
  RawCarLapInfo,
  RawCarUpdate,
  RawChat,
  RawCollisionWithCar,
  RawCollisionWithEnv,
  RawDriver,
  RawDriverMap,
  RawRaceControl,
  RawSessionInfo,
  RawTrackInfo,
  RawTrackMapData,
  RawVec3,
} from '../wire/raw.js';

export interface FakeDriverSpec {
  guid: string;
  name: string;
  carModel?: string;
  carSkin?: string;
  /** Default: the lowest id no connected driver holds. */
  carId?: number;
  /** Sent only when given (a v2 field). */
  teamName?: string;
  tyres?: string;
}

export interface FakeRaceOptions {
  now?: () => number;
  session?: Partial<RawSessionInfo>;
  track?: Partial<RawTrackInfo>;
  trackMap?: Partial<RawTrackMapData>;
  /** Add the fields newer (v2) managers send: pit state, DRS, race position, session best lap. */
  v2?: boolean;
  realtimeIntervalMs?: number;
}

const SESSION_NAMES: Record<number, string> = { 0: 'Booking', 1: 'Practice', 2: 'Qualify', 3: 'Race' };
const ZERO = formatGoTime(null);

/**
 * Server Manager's own race-control bookkeeping (ASM v1 race_control.go, as described in the spec):
 * drivers connect, complete laps, leave; maps are sorted and splits written the way the server does,
 * and `snapshot()` gives the RaceControl object in Go's field order. No I/O here: the fake server
 * broadcasts what this produces.
 */
export class FakeRace {
  session: RawSessionInfo;
  track: RawTrackInfo;
  trackMap: RawTrackMapData;
  sessionStart: number;
  realtimeIntervalMs: number;
  readonly v2: boolean;
  private readonly now: () => number;
  private connected = new Map<string, RawDriver>();
  private connectedOrder: string[] = [];
  private disconnected = new Map<string, RawDriver>();
  private disconnectedOrder: string[] = [];
  private carIdToGuid: Record<string, string> = {};
  private chat: RawChat[] = [];
  private collisionIds = 0;

  constructor(options: FakeRaceOptions = {}) {
    this.now = options.now ?? Date.now;
    this.v2 = options.v2 ?? false;
    this.realtimeIntervalMs = options.realtimeIntervalMs ?? 500;
    this.session = makeSession(options.session ?? {});
    this.track = {
      name: 'Silverstone GP', city: 'Silverstone', country: 'Great Britain', description: '', geotags: null,
      length: '5891m', pitboxes: 40, run: 'clockwise', tags: ['circuit'], width: '15m', ...options.track,
    };
    this.trackMap = { width: 1200, height: 900, margin: 20, scale_factor: 2.5, offset_x: 1050, offset_y: 1280, drawing_size: 10, ...options.trackMap };
    this.sessionStart = this.now();
  }

  get isRace(): boolean {
    return this.session.Type === 3;
  }

  connectedGuids(): string[] {
    return [...this.connectedOrder];
  }

  driver(guid: string): RawDriver | undefined {
    return this.connected.get(guid) ?? this.disconnected.get(guid);
  }

  storedChat(): RawChat[] {
    return [...this.chat];
  }

  snapshot(): RawRaceControl {
    const rc: RawRaceControl = {
      SessionInfo: this.session,
      TrackMapData: this.trackMap,
      TrackInfo: this.track,
      SessionStartTime: formatGoTime(this.sessionStart),
      CurrentRealtimePosInterval: this.realtimeIntervalMs,
      ChatMessages: this.chat.length ? this.chat : null,
      ChatMessagesMutex: {},
      ConnectedDrivers: driverMap(this.connected, this.connectedOrder),
      DisconnectedDrivers: driverMap(this.disconnected, this.disconnectedOrder),
      CarIDToGUID: sortedKeys(this.carIdToGuid),
    };
    if (this.v2) rc.BestLap = this.sessionBestNs();
    return rc;
  }

  /** NewConnection: back from Disconnected (laps kept) or new. Returns the 51 payload. */
  connect(spec: FakeDriverSpec): RawCarInfo {
    const now = this.now();
    let d = this.disconnected.get(spec.guid) ?? this.connected.get(spec.guid);
    const carId = spec.carId ?? this.freeCarId();
    const info = carInfo(spec, carId);
    if (d) {
      d = { ...d, CarInfo: info, ConnectedTime: formatGoTime(now), LastSeen: ZERO };
      if (!d.Cars[info.CarModel]) d.Cars = { ...d.Cars, [info.CarModel]: lapInfo(info.CarName, now) };
      this.disconnected.delete(spec.guid);
      this.disconnectedOrder = this.disconnectedOrder.filter((g) => g !== spec.guid);
    } else {
      d = {
        CarInfo: info,
        TotalNumLaps: 0,
        ConnectedTime: formatGoTime(now),
        LoadedTime: ZERO,
        Position: 0,
        Split: '',
        LastSeen: ZERO,
        LastPos: { X: 0, Y: 0, Z: 0 },
        Collisions: null,
        Cars: { [info.CarModel]: lapInfo(info.CarName, now) },
      };
      if (this.v2) Object.assign(d, { IsInPits: true, NumPits: 0, NumLongPits: 0, DRSActive: false, BlueFlag: false, Ping: 40, RacePosition: 0 });
    }
    this.connected.set(spec.guid, d);
    this.carIdToGuid[String(carId)] = spec.guid;
    this.sortConnected();
    return info;
  }

  /** ConnectionClosed: the driver stays in Disconnected only if they completed a lap. Returns the 52 payload. */
  disconnect(guid: string): RawCarInfo | undefined {
    const d = this.connected.get(guid);
    if (!d) return undefined;
    this.connected.delete(guid);
    this.connectedOrder = this.connectedOrder.filter((g) => g !== guid);
    if (d.TotalNumLaps > 0) {
      this.disconnected.set(guid, { ...d, LoadedTime: ZERO });
      this.sortDisconnected();
    }
    this.sortConnected();
    return { ...d.CarInfo, EventType: 52 };
  }

  clientLoaded(guid: string): number | undefined {
    const d = this.connected.get(guid);
    if (!d) return undefined;
    d.LoadedTime = formatGoTime(this.now());
    return d.CarInfo.CarID;
  }

  carUpdate(guid: string, u: { pos: RawVec3; velocity?: RawVec3; gear?: number; rpm?: number; splinePos?: number }): RawCarUpdate | undefined {
    const d = this.connected.get(guid);
    if (!d) return undefined;
    d.LastSeen = formatGoTime(this.now());
    d.LastPos = f32vec(u.pos);
    const car = d.Cars[d.CarInfo.CarModel]!;
    const velocity = f32vec(u.velocity ?? { X: 0, Y: 0, Z: 0 });
    car.TopSpeedThisLap = Math.max(car.TopSpeedThisLap, Math.hypot(velocity.X, velocity.Z) * 3.6);
    const update: RawCarUpdate = {
      CarID: d.CarInfo.CarID,
      Pos: d.LastPos,
      Velocity: velocity,
      Gear: u.gear ?? 1,
      EngineRPM: u.rpm ?? 0,
      NormalisedSplinePos: f32(u.splinePos ?? 0),
    };
    if (this.v2) Object.assign(update, { RacePosition: d.RacePosition ?? 0, IsInPits: d.IsInPits ?? false, DRSActive: d.DRSActive ?? false, NumPits: d.NumPits ?? 0 });
    return update;
  }

  /** LapCompleted bookkeeping: counts, best lap only without cuts, then sort and split. */
  completeLap(guid: string, lapMs: number, options: { cuts?: number } = {}): boolean {
    const d = this.connected.get(guid);
    if (!d) return false;
    const car = d.Cars[d.CarInfo.CarModel]!;
    const lapNs = msToNs(lapMs);
    d.TotalNumLaps++;
    car.NumLaps++;
    car.LastLap = lapNs;
    car.TotalLapTime += lapNs;
    if ((options.cuts ?? 0) === 0 && (car.BestLap === 0 || lapNs < car.BestLap)) {
      car.BestLap = lapNs;
      car.TopSpeedBestLap = car.TopSpeedThisLap;
    }
    car.TopSpeedThisLap = 0;
    car.LastLapCompletedTime = formatGoTime(this.now());
    if (this.v2) d.IsInPits = false;
    this.sortConnected(guid);
    return true;
  }

  /** NewSession: lap data reset unless the same practice loops; Disconnected emptied. Returns the 50 payload. */
  newSession(s: Partial<RawSessionInfo>): RawSessionInfo {
    const next = makeSession({ ...this.session, ElapsedMilliseconds: 0, ...s });
    const looped = next.Type === 1 && next.Type === this.session.Type && next.Track === this.session.Track && next.TrackConfig === this.session.TrackConfig && next.Name === this.session.Name;
    this.session = next;
    this.sessionStart = this.now();
    if (!looped) {
      const now = this.now();
      for (const d of this.connected.values()) {
        d.TotalNumLaps = 0;
        d.Position = 0;
        d.Split = '';
        d.Collisions = null;
        d.Cars = { [d.CarInfo.CarModel]: lapInfo(d.CarInfo.CarName, now) };
      }
      this.disconnected.clear();
      this.disconnectedOrder = [];
      this.sortConnected();
    }
    return next;
  }

  /** Undefined for an unknown driver or an admin command (text starting with "/"), which the server neither stores nor forwards. */
  addChat(guid: string, text: string): RawChat | undefined {
    const d = this.connected.get(guid);
    if (!d || text.startsWith('/')) return undefined;
    const c: RawChat = { CarID: d.CarInfo.CarID, Message: text, DriverGUID: guid, DriverName: d.CarInfo.DriverName, Time: formatGoTime(this.now()) };
    this.chat.push(c);
    if (this.chat.length > 50) this.chat.shift();
    return c;
  }

  collisionWithCar(guid: string, otherGuid: string, impactSpeedMps: number): RawCollisionWithCar | undefined {
    const d = this.connected.get(guid);
    const o = this.connected.get(otherGuid);
    if (!d || !o) return undefined;
    this.recordCollision(d, 'with other car', o, impactSpeedMps);
    this.recordCollision(o, 'with other car', d, impactSpeedMps);
    return { CarID: d.CarInfo.CarID, OtherCarID: o.CarInfo.CarID, ImpactSpeed: f32(impactSpeedMps), WorldPos: d.LastPos, RelPos: { X: 0, Y: 0, Z: 1.2 } };
  }

  collisionWithEnv(guid: string, impactSpeedMps: number): RawCollisionWithEnv | undefined {
    const d = this.connected.get(guid);
    if (!d) return undefined;
    this.recordCollision(d, 'with environment', undefined, impactSpeedMps);
    return { CarID: d.CarInfo.CarID, ImpactSpeed: f32(impactSpeedMps), WorldPos: d.LastPos, RelPos: { X: 0, Y: 0, Z: -1 } };
  }

  /** v2 pit state. */
  setPits(guid: string, inPits: boolean, long = false): void {
    const d = this.connected.get(guid);
    if (!d || !this.v2) return;
    if (inPits && !d.IsInPits) {
      d.NumPits = (d.NumPits ?? 0) + 1;
      if (long) d.NumLongPits = (d.NumLongPits ?? 0) + 1;
    }
    d.IsInPits = inPits;
  }

  private recordCollision(d: RawDriver, type: string, other: RawDriver | undefined, speedMps: number): void {
    const id = ++this.collisionIds;
    (d.Collisions ??= []).push({
      ID: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
      Type: type,
      Time: formatGoTime(this.now()),
      OtherDriverGUID: other?.CarInfo.DriverGUID ?? '',
      OtherDriverName: other?.CarInfo.DriverName ?? '',
      Speed: Math.fround(speedMps) * 3.6,
    });
  }

  private freeCarId(): number {
    const used = new Set([...this.connected.values()].map((d) => d.CarInfo.CarID));
    let id = 0;
    while (used.has(id)) id++;
    return id;
  }

  private sessionBestNs(): number {
    let best = 0;
    for (const d of [...this.connected.values(), ...this.disconnected.values()]) {
      for (const c of Object.values(d.Cars)) if (c.BestLap > 0 && (best === 0 || c.BestLap < best)) best = c.BestLap;
    }
    return best;
  }

  /** SortDrivers for the connected map; in a race only the driver who just lapped gets a new split. */
  private sortConnected(lapped?: string): void {
    const cur = (d: RawDriver) => d.Cars[d.CarInfo.CarModel]!;
    const order = [...this.connected.keys()];
    const by = (g: string) => this.connected.get(g)!;
    if (this.isRace) {
      order.sort((a, b) => cur(by(b)).NumLaps - cur(by(a)).NumLaps || cur(by(a)).TotalLapTime - cur(by(b)).TotalLapTime);
    } else {
      order.sort((a, b) => {
        const ca = cur(by(a));
        const cb = cur(by(b));
        if (ca.BestLap > 0 !== cb.BestLap > 0) return ca.BestLap > 0 ? -1 : 1;
        if (ca.BestLap > 0 && ca.BestLap !== cb.BestLap) return ca.BestLap - cb.BestLap;
        return cb.NumLaps - ca.NumLaps || Date.parse(ca.LastLapCompletedTime) - Date.parse(cb.LastLapCompletedTime);
      });
    }
    this.connectedOrder = order;
    order.forEach((g, i) => {
      const d = by(g);
      d.Position = i + 1;
      if (this.v2) d.RacePosition = i + 1;
    });
    if (this.isRace) {
      if (lapped === undefined) return;
      const i = order.indexOf(lapped);
      const d = by(lapped);
      if (i === 0) {
        d.Split = '0s';
        return;
      }
      const ahead = cur(by(order[i - 1]!));
      const mine = cur(d);
      const lapsDown = ahead.NumLaps - mine.NumLaps;
      if (lapsDown === 0) d.Split = formatGoDuration(Math.round((mine.TotalLapTime - ahead.TotalLapTime) / 1e6) * 1e6);
      else d.Split = lapsDown === 1 ? '1 lap' : `${lapsDown} laps`;
      return;
    }
    order.forEach((g, i) => {
      const d = by(g);
      const best = cur(d).BestLap;
      if (i === 0) d.Split = '0s';
      else if (best === 0) d.Split = '';
      else d.Split = formatGoDuration(Math.round((best - cur(by(order[i - 1]!)).BestLap) / 1e6) * 1e6);
    });
  }

  private sortDisconnected(): void {
    const last = (d: RawDriver) => Math.max(0, ...Object.values(d.Cars).map((c) => Date.parse(c.LastLapCompletedTime) || 0));
    this.disconnectedOrder = [...this.disconnected.keys()].sort((a, b) => last(this.disconnected.get(b)!) - last(this.disconnected.get(a)!));
    this.disconnectedOrder.forEach((g, i) => (this.disconnected.get(g)!.Position = i + 1));
  }
}

function makeSession(s: Partial<RawSessionInfo>): RawSessionInfo {
  const type = s.Type ?? 3;
  return {
    Version: 4,
    SessionIndex: 0,
    CurrentSessionIndex: 0,
    SessionCount: 1,
    ServerName: 'acgateway fake race control',
    Track: 'ks_silverstone',
    TrackConfig: 'gp',
    Name: SESSION_NAMES[type] ?? 'Race',
    Type: type,
    Time: 0,
    Laps: type === 3 ? 20 : 0,
    WaitTime: 60,
    AmbientTemp: 18,
    RoadTemp: 24,
    WeatherGraphics: '3_clear',
    ElapsedMilliseconds: 0,
    ...s,
    EventType: 50,
  };
}

function carInfo(spec: FakeDriverSpec, carId: number): RawCarInfo {
  const model = spec.carModel ?? 'ks_mazda_mx5_cup';
  const info: RawCarInfo = {
    CarID: carId,
    DriverName: spec.name,
    DriverGUID: spec.guid,
    CarModel: model,
    CarSkin: spec.carSkin ?? '00_default',
    DriverInitials: initials(spec.name),
    CarName: prettyCarName(model),
    EventType: 51,
  };
  if (spec.tyres !== undefined) info.Tyres = spec.tyres;
  if (spec.teamName !== undefined) info.TeamName = spec.teamName;
  return info;
}

function lapInfo(carName: string, now: number): RawCarLapInfo {
  return { TopSpeedThisLap: 0, TopSpeedBestLap: 0, BestLap: 0, NumLaps: 0, LastLap: 0, LastLapCompletedTime: formatGoTime(now), TotalLapTime: 0, CarName: carName };
}

/** Not-shortened mode: first three letters of the last word, upper-cased. */
function initials(name: string): string {
  const words = name.trim().split(/\s+/);
  return (words[words.length - 1] ?? '').slice(0, 3).toUpperCase();
}

function prettyCarName(model: string): string {
  return model
    .replace(/^ks_/, '')
    .split('_')
    .map((p) => (p.length <= 3 ? p.toUpperCase() : p[0]!.toUpperCase() + p.slice(1)))
    .join(' ');
}

function driverMap(drivers: Map<string, RawDriver>, order: string[]): RawDriverMap {
  const sorted: Record<string, RawDriver> = {};
  for (const guid of [...drivers.keys()].sort()) sorted[guid] = drivers.get(guid)!;
  return { Drivers: sorted, GUIDsInPositionalOrder: order.length ? [...order] : null };
}

function sortedKeys(o: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k]!;
  return out;
}

function f32vec(v: RawVec3): RawVec3 {
  return { X: f32(v.X), Y: f32(v.Y), Z: f32(v.Z) };
}
