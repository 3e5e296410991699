import type { z } from 'zod';
import { EVENT_NAMES, EventType, isKnownEventType } from './event-types.js';
import { nsToMs, parseGoTime, parseSplit } from './go.js';
import {
  BareIntSchema,
  CarInfoSchema,
  CarUpdateSchema,
  ChatSchema,
  CollisionWithCarSchema,
  CollisionWithEnvSchema,
  DriverMapSchema,
  DriverSchema,
  RaceControlSchema,
  SessionInfoSchema,
  TrackInfoSchema,
  TrackMapDataSchema,
} from './schema.js';
import type {
  CarInfo,
  CarUpdate,
  ChatMessage,
  CollisionEvent,
  Driver,
  RaceControlEvent,
  Session,
  SessionType,
  Snapshot,
  TrackInfo,
  TrackMap,
  Vec3,
} from './types.js';

/** Why a frame was thrown away. Also the `kind` label of the bad-input counter. */
export type DecodeFailureKind = 'empty_frame' | 'invalid_json' | 'not_an_envelope' | 'unknown_event_type' | 'missing_field' | 'bad_field';

/** Something wrong inside a frame that was still used (one bad driver or chat line in a snapshot). */
export interface DecodeProblem {
  kind: 'bad_driver' | 'bad_chat';
  message: string;
}

export type DecodeResult =
  | { ok: true; event: RaceControlEvent; problems: DecodeProblem[] }
  | { ok: false; kind: DecodeFailureKind; message: string; eventType?: number };

class PayloadError extends Error {
  constructor(readonly kind: 'missing_field' | 'bad_field', message: string) {
    super(message);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Decodes one websocket text frame. Never throws: bad input comes back as `{ ok: false, kind, message }`. */
export function decodeFrame(frame: string | Uint8Array): DecodeResult {
  const text = typeof frame === 'string' ? frame : utf8.decode(frame);
  if (text.trim() === '') {
    return { ok: false, kind: 'empty_frame', message: 'empty frame: the server has broadcast no snapshot since it started' };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, kind: 'invalid_json', message: `invalid JSON (${(err as Error).message}): ${preview(text)}` };
  }
  if (!isRecord(doc) || typeof doc.EventType !== 'number' || !Number.isInteger(doc.EventType)) {
    return { ok: false, kind: 'not_an_envelope', message: `not a race-control frame (no integer EventType): ${preview(text)}` };
  }
  const code = doc.EventType;
  if (!isKnownEventType(code)) {
    return { ok: false, kind: 'unknown_event_type', eventType: code, message: `unknown EventType ${code}` };
  }
  if (!('Message' in doc)) {
    return { ok: false, kind: 'missing_field', eventType: code, message: `EventType ${code} (${EVENT_NAMES[code]}): missing field Message` };
  }
  try {
    const problems: DecodeProblem[] = [];
    const event = decodeMessage(code, doc.Message, problems);
    return { ok: true, event, problems };
  } catch (err) {
    if (err instanceof PayloadError) {
      return { ok: false, kind: err.kind, eventType: code, message: `EventType ${code} (${EVENT_NAMES[code]}): ${err.message}` };
    }
    throw err;
  }
}

function decodeMessage(code: keyof typeof EVENT_NAMES, message: unknown, problems: DecodeProblem[]): RaceControlEvent {
  switch (code) {
    case EventType.RaceControl:
      return { eventType: 200, name: 'snapshot', data: decodeSnapshot(message, problems) };
    case EventType.CollisionWithCar: {
      const m = check(CollisionWithCarSchema, message);
      return { eventType: 10, name: 'collision_with_car', data: collision(m, m.OtherCarID) };
    }
    case EventType.CollisionWithEnv: {
      return { eventType: 11, name: 'collision_with_env', data: collision(check(CollisionWithEnvSchema, message), null) };
    }
    case EventType.NewSession:
      return { eventType: 50, name: 'new_session', data: toSession(check(SessionInfoSchema, message)) };
    case EventType.NewConnection:
      return { eventType: 51, name: 'new_connection', data: toCarInfo(check(CarInfoSchema, message)) };
    case EventType.ConnectionClosed:
      return { eventType: 52, name: 'connection_closed', data: toCarInfo(check(CarInfoSchema, message)) };
    case EventType.CarUpdate:
      return { eventType: 53, name: 'car_update', data: toCarUpdate(check(CarUpdateSchema, message)) };
    case EventType.Version:
      return { eventType: 56, name: 'version', data: { protocolVersion: check(BareIntSchema, message) } };
    case EventType.Chat:
      return { eventType: 57, name: 'chat', data: toChat(check(ChatSchema, message)) };
    case EventType.ClientLoaded:
      return { eventType: 58, name: 'client_loaded', data: { carId: check(BareIntSchema, message) } };
    default:
      // 54, 55, 59, 60, 73, 130 (the compiler narrows code to these): listed in the protocol but never
      // forwarded on this socket by known builds (a snapshot follows instead). A newer build might, so
      // they are passed on as they came rather than treated as garbage.
      return { eventType: code, name: EVENT_NAMES[code], data: { raw: message } };
  }
}

/** The full snapshot (EventType 200). Drivers and chat lines that do not decode are left out and reported. */
export function decodeSnapshot(message: unknown, problems: DecodeProblem[] = []): Snapshot {
  const m = check(RaceControlSchema, message);
  const chat: ChatMessage[] = [];
  for (const [i, c] of (m.ChatMessages ?? []).entries()) {
    const r = ChatSchema.safeParse(c);
    if (r.success) chat.push(toChat(r.data));
    else problems.push({ kind: 'bad_chat', message: `ChatMessages.${i}: ${describeIssues(r.error, c)}` });
  }
  const connected = driverList(m.ConnectedDrivers, true, 'ConnectedDrivers', problems);
  const disconnected = m.DisconnectedDrivers ? driverList(m.DisconnectedDrivers, false, 'DisconnectedDrivers', problems) : [];
  return {
    session: toSession(m.SessionInfo),
    trackMap: m.TrackMapData ? toTrackMap(m.TrackMapData) : null,
    track: m.TrackInfo ? toTrackInfo(m.TrackInfo) : null,
    sessionStartedAt: parseGoTime(m.SessionStartTime),
    realtimeIntervalMs: m.CurrentRealtimePosInterval > 0 ? m.CurrentRealtimePosInterval : null,
    chat,
    connected,
    disconnected,
    carIdToGuid: { ...(m.CarIDToGUID ?? {}) },
    bestLapMs: positiveMs(m.BestLap ?? 0),
  };
}

/** The map's order array is authoritative; drivers it does not list are kept, after the listed ones. */
function driverList(map: z.output<typeof DriverMapSchema>, connected: boolean, where: string, problems: DecodeProblem[]): Driver[] {
  const byGuid = new Map<string, Driver>();
  for (const [guid, raw] of Object.entries(map.Drivers)) {
    const r = DriverSchema.safeParse(raw);
    if (!r.success) {
      problems.push({ kind: 'bad_driver', message: `${where}.Drivers.${guid}: ${describeIssues(r.error, raw)}` });
      continue;
    }
    // The map key is what the server indexes by; a CarInfo disagreeing with it is trusted less.
    byGuid.set(guid, toDriver(r.data, connected, guid));
  }
  const out: Driver[] = [];
  for (const guid of map.GUIDsInPositionalOrder ?? []) {
    const d = byGuid.get(guid);
    if (d) {
      out.push(d);
      byGuid.delete(guid);
    }
  }
  const rest = [...byGuid.values()].sort((a, b) => (a.position ?? 1e9) - (b.position ?? 1e9));
  return out.concat(rest);
}

function toDriver(d: z.output<typeof DriverSchema>, connected: boolean, guid = d.CarInfo.DriverGUID): Driver {
  const info = toCarInfo(d.CarInfo);
  const car = d.Cars?.[d.CarInfo.CarModel];
  const split = d.Split;
  return {
    ...info,
    guid,
    connected,
    position: d.Position > 0 && d.Position !== 255 ? d.Position : null,
    racePosition: d.RacePosition !== undefined && d.RacePosition > 0 ? d.RacePosition : null,
    split,
    ...parseSplit(split),
    laps: car?.NumLaps ?? 0,
    totalLaps: d.TotalNumLaps,
    lastLapMs: positiveMs(car?.LastLap ?? 0),
    bestLapMs: positiveMs(car?.BestLap ?? 0),
    totalLapTimeMs: nsToMs(car?.TotalLapTime ?? 0),
    topSpeedBestLapKmh: car?.TopSpeedBestLap ?? 0,
    topSpeedThisLapKmh: car?.TopSpeedThisLap ?? 0,
    lastLapCompletedAt: car ? parseGoTime(car.LastLapCompletedTime) : null,
    connectedAt: parseGoTime(d.ConnectedTime),
    loadedAt: parseGoTime(d.LoadedTime),
    lastSeenAt: parseGoTime(d.LastSeen),
    // LastPos is all zeros until the first CarUpdate; LastSeen tells whether one came.
    pos: d.LastPos && parseGoTime(d.LastSeen) !== null ? toVec3(d.LastPos) : null,
    collisions: (d.Collisions ?? []).map((c) => ({
      id: c.ID,
      type: c.Type,
      at: parseGoTime(c.Time),
      otherDriverGuid: c.OtherDriverGUID,
      otherDriverName: c.OtherDriverName,
      speedKmh: c.Speed,
    })),
    otherCars: Object.keys(d.Cars ?? {}).filter((model) => model !== d.CarInfo.CarModel),
    inPits: d.IsInPits ?? null,
    numPits: d.NumPits ?? null,
    numLongPits: d.NumLongPits ?? null,
    drsActive: d.DRSActive ?? null,
    blueFlag: d.BlueFlag ?? null,
    pingMs: d.Ping ?? null,
    live: null,
  };
}

function toCarInfo(c: z.output<typeof CarInfoSchema>): CarInfo {
  const raceNumber = typeof c.RaceNumber === 'number' ? c.RaceNumber : c.RaceNumber !== undefined && /^\d+$/.test(c.RaceNumber) ? Number(c.RaceNumber) : null;
  return {
    carId: c.CarID,
    guid: c.DriverGUID,
    name: c.DriverName,
    initials: c.DriverInitials,
    carModel: c.CarModel,
    carName: c.CarName,
    carSkin: c.CarSkin,
    teamName: c.TeamName ? c.TeamName : null,
    raceNumber,
    tyres: c.Tyres ? c.Tyres : null,
    spectator: c.IsSpectator ?? false,
  };
}

const SESSION_TYPES: Record<number, SessionType> = { 0: 'booking', 1: 'practice', 2: 'qualifying', 3: 'race' };

function toSession(s: z.output<typeof SessionInfoSchema>): Session {
  return {
    serverName: s.ServerName,
    track: s.Track,
    trackConfig: s.TrackConfig,
    name: s.Name,
    type: SESSION_TYPES[s.Type] ?? 'unknown',
    typeCode: s.Type,
    timeMinutes: s.Time,
    laps: s.Laps,
    waitTimeS: s.WaitTime,
    ambientTempC: s.AmbientTemp,
    roadTempC: s.RoadTemp,
    weather: s.WeatherGraphics,
    elapsedMs: s.ElapsedMilliseconds,
    sessionIndex: s.SessionIndex,
    currentSessionIndex: s.CurrentSessionIndex,
    sessionCount: s.SessionCount,
    protocolVersion: s.Version,
  };
}

function toTrackInfo(t: z.output<typeof TrackInfoSchema>): TrackInfo {
  return {
    name: t.name,
    city: t.city,
    country: t.country,
    description: t.description,
    geotags: t.geotags ?? [],
    length: String(t.length),
    pitboxes: typeof t.pitboxes === 'number' ? t.pitboxes : Number.parseInt(t.pitboxes, 10) || 0,
    run: t.run,
    tags: t.tags ?? [],
    width: String(t.width),
  };
}

function toTrackMap(t: z.output<typeof TrackMapDataSchema>): TrackMap {
  return {
    width: t.width,
    height: t.height,
    margin: t.margin,
    scaleFactor: t.scale_factor,
    offsetX: t.offset_x,
    offsetZ: t.offset_y,
    drawingSize: t.drawing_size,
    padding: t.padding ?? null,
  };
}

function toChat(c: z.output<typeof ChatSchema>): ChatMessage {
  return { carId: c.CarID, guid: c.DriverGUID, name: c.DriverName, text: c.Message, at: parseGoTime(c.Time) };
}

function toCarUpdate(u: z.output<typeof CarUpdateSchema>): CarUpdate {
  const velocity = u.Velocity ? toVec3(u.Velocity) : { x: 0, y: 0, z: 0 };
  return {
    carId: u.CarID,
    pos: toVec3(u.Pos),
    velocity,
    speedKmh: speedKmh(velocity),
    gear: u.Gear - 1,
    rpm: u.EngineRPM,
    splinePos: u.NormalisedSplinePos,
    racePosition: u.RacePosition ?? null,
    gap: u.Gap ?? null,
    inPits: u.IsInPits ?? null,
    drsActive: u.DRSActive ?? null,
    numPits: u.NumPits ?? null,
  };
}

function collision(c: z.output<typeof CollisionWithEnvSchema>, otherCarId: number | null): CollisionEvent {
  return {
    carId: c.CarID,
    otherCarId,
    impactSpeedMps: c.ImpactSpeed,
    impactSpeedKmh: Math.round(c.ImpactSpeed * 3.6 * 10) / 10,
    worldPos: c.WorldPos ? toVec3(c.WorldPos) : null,
    relPos: c.RelPos ? toVec3(c.RelPos) : null,
  };
}

/** Ground speed as the official page shows it: the vertical component is left out. */
function speedKmh(v: Vec3): number {
  return Math.round(Math.hypot(v.x, v.z) * 3.6 * 10) / 10;
}

function toVec3(v: { X: number; Y: number; Z: number }): Vec3 {
  return { x: v.X, y: v.Y, z: v.Z };
}

/** A lap or best-lap duration: 0 ns means "none". */
function positiveMs(ns: number): number | null {
  return ns > 0 ? nsToMs(ns) : null;
}

function check<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const missing = r.error.issues.some((i) => i.code === 'invalid_type' && valueAt(value, i.path) === undefined);
  throw new PayloadError(missing ? 'missing_field' : 'bad_field', describeIssues(r.error, value));
}

function describeIssues(error: z.ZodError, value: unknown): string {
  return error.issues
    .slice(0, 3)
    .map((i) => {
      const path = i.path.map(String).join('.') || 'Message';
      return i.code === 'invalid_type' && valueAt(value, i.path) === undefined ? `missing field ${path}` : `${path}: ${i.message}`;
    })
    .join('; ');
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function preview(text: string): string {
  const t = text.length > 80 ? `${text.slice(0, 80)}... (${text.length} chars)` : text;
  return JSON.stringify(t);
}
