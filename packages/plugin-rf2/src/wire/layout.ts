/**
 * The rF2 shared-memory layout (rF2SharedMemoryMapPlugin 3.7.15.x, pack(4), little-endian) and the
 * decoders over private copies of it. The only module that knows offsets; the buffer writer imports
 * the same tables so reader and writer cannot drift apart.
 *
 * "File offset" = from the first byte of the mapping (the version block included).
 */
import { decodeCp1252 } from './cp1252.js';

export const MAX_VEHICLES = 128;

/** Every buffer the plugin publishes, with its mapping size (8-byte version block + payload). */
export const BUFFERS = {
  Telemetry: { mappingBytes: 241_680, versioned: true },
  Scoring: { mappingBytes: 75_312, versioned: true },
  Rules: { mappingBytes: 45_272, versioned: true },
  MultiRules: { mappingBytes: 39_792, versioned: true },
  ForceFeedback: { mappingBytes: 16, versioned: false },
  Graphics: { mappingBytes: 272, versioned: false },
  PitInfo: { mappingBytes: 340, versioned: true },
  Weather: { mappingBytes: 632, versioned: true },
  Extended: { mappingBytes: 10_152, versioned: true },
  HWControl: { mappingBytes: 116, versioned: true },
  WeatherControl: { mappingBytes: 628, versioned: true },
  RulesControl: { mappingBytes: 45_272, versioned: true },
  PluginControl: { mappingBytes: 20, versioned: true },
} as const;

export type BufferType = keyof typeof BUFFERS;

/** The buffers this package reads (and its writer writes). */
export const READ_BUFFERS = ['Telemetry', 'Scoring'] as const;
export type ReadBuffer = (typeof READ_BUFFERS)[number];

/**
 * `$rFactor2SMMP_<Type>$`, plus the dedicated server's process id as suffix when given
 * (`$rFactor2SMMP_Telemetry$1234`). The same string names the /dev/shm file on Linux.
 */
export function mappingName(type: BufferType, suffix = ''): string {
  return `$rFactor2SMMP_${type}$${suffix}`;
}

/** rF2MappedBufferVersionBlock: Begin is bumped before a write, End after it. */
export const VERSION = { begin: 0, end: 4, size: 8 } as const;

export const TELEMETRY = {
  mappingBytes: BUFFERS.Telemetry.mappingBytes,
  bytesUpdatedHint: 8,
  numVehicles: 12,
  vehicles: 16,
  vehicleSize: 1888,
  /** Bytes to read live to learn the versions and the vehicle count. */
  headBytes: 16,
} as const;

/** rF2VehicleTelemetry struct offsets (add TELEMETRY.vehicles + i * vehicleSize). [offset, size] for strings. */
export const TELEM_VEHICLE = {
  id: 0, // int32
  deltaTime: 4, // f64
  elapsedTime: 12, // f64
  lapNumber: 20, // int32
  lapStartET: 24, // f64
  vehicleName: [32, 64],
  trackName: [96, 64],
  pos: 160, // vec3 f64
  localVel: 184, // vec3 f64, +z rearwards
  localAccel: 208,
  gear: 352, // int32, -1 reverse
  engineRPM: 356,
  engineWaterTemp: 364,
  engineOilTemp: 372,
  clutchRPM: 380,
  unfilteredThrottle: 388,
  unfilteredBrake: 396,
  unfilteredSteering: 404,
  unfilteredClutch: 412,
  filteredThrottle: 420,
  filteredBrake: 428,
  filteredSteering: 436,
  filteredClutch: 444,
  fuel: 524,
  engineMaxRPM: 532,
  currentSector: 600, // int32
  maxGears: 605, // uint8
  fuelCapacity: 608,
  wheels: 848,
} as const;

export const SCORING = {
  mappingBytes: BUFFERS.Scoring.mappingBytes,
  bytesUpdatedHint: 8,
  info: 12,
  infoSize: 548,
  vehicles: 560,
  vehicleSize: 584,
  /** Bytes to read live to learn the versions and the vehicle count (mNumVehicles at 116). */
  headBytes: 120,
} as const;

/** rF2ScoringInfo struct offsets (add SCORING.info). */
export const SCORING_INFO = {
  trackName: [0, 64],
  session: 64, // int32
  currentET: 68, // f64
  endET: 76, // f64
  maxLaps: 84, // int32
  lapDist: 88, // f64
  numVehicles: 104, // int32
  gamePhase: 108, // uint8
  yellowFlagState: 109, // int8
  inRealtime: 115, // bool
  playerName: [116, 32],
  ambientTemp: 228,
  trackTemp: 236,
} as const;

/** rF2VehicleScoring struct offsets (add SCORING.vehicles + i * vehicleSize). */
export const VEH_SCORING = {
  id: 0, // int32
  driverName: [4, 32],
  vehicleName: [36, 64],
  totalLaps: 100, // int16
  sector: 102, // int8: 0 = sector 3, 1 = sector 1, 2 = sector 2
  finishStatus: 103, // int8
  lapDist: 104, // f64
  bestLapTime: 144, // f64, <= 0 none
  lastLapTime: 168, // f64, <= 0 none
  numPitstops: 192, // int16
  isPlayer: 196, // bool
  control: 197, // int8
  inPits: 198, // bool
  place: 199, // uint8
  vehicleClass: [200, 32],
  timeBehindLeader: 244, // f64
  lapsBehindLeader: 252, // int32
  lapStartET: 256, // f64
  pos: 264,
  localVel: 288,
} as const;

export const GAME_PHASES = ['garage', 'warmup', 'grid_walk', 'formation', 'countdown', 'green', 'full_course_yellow', 'stopped', 'over', 'paused'] as const;
export const CONTROLS: Record<number, string> = { [-1]: 'nobody', 0: 'player', 1: 'ai', 2: 'remote', 3: 'replay' };

export function sessionKind(session: number): string {
  if (session === 0) return 'testday';
  if (session >= 1 && session <= 4) return 'practice';
  if (session >= 5 && session <= 8) return 'qualifying';
  if (session === 9) return 'warmup';
  if (session >= 10 && session <= 13) return 'race';
  return 'unknown';
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Tallies of questionable values met while decoding, for the caller to count and log. */
export interface DecodeStats {
  /** NaN or infinite floats, published as null. */
  nonFinite: number;
}

export function newDecodeStats(): DecodeStats {
  return { nonFinite: 0 };
}

export interface Vec3 {
  x: number | null;
  y: number | null;
  z: number | null;
}

export interface VersionPair {
  begin: number;
  end: number;
}

/** A raw `mNumVehicles` brought into 0..128, and whether it was out of range. */
export interface VehicleCount {
  raw: number;
  count: number;
  problem?: 'negative' | 'over_128';
}

export function clampVehicleCount(raw: number): VehicleCount {
  if (raw < 0) return { raw, count: 0, problem: 'negative' };
  if (raw > MAX_VEHICLES) return { raw, count: MAX_VEHICLES, problem: 'over_128' };
  return { raw, count: raw };
}

export function telemetryVehicleCount(buf: Buffer): VehicleCount {
  return clampVehicleCount(buf.readInt32LE(TELEMETRY.numVehicles));
}

export function scoringVehicleCount(buf: Buffer): VehicleCount {
  return clampVehicleCount(buf.readInt32LE(SCORING.info + SCORING_INFO.numVehicles));
}

/** Bytes from file offset 0 that hold the header and `count` vehicles: what a copy must cover. */
export function telemetryLiveBytes(count: number): number {
  return TELEMETRY.vehicles + TELEMETRY.vehicleSize * count;
}

export function scoringLiveBytes(count: number): number {
  return SCORING.vehicles + SCORING.vehicleSize * count;
}

const views = new WeakMap<Buffer, DataView>();

/**
 * DataView reads are inlined by V8 and about three times faster than Buffer#readDoubleLE; the copies
 * decoded are long-lived, so each gets one view.
 */
function viewOf(buf: Buffer): DataView {
  let v = views.get(buf);
  if (!v) {
    v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    views.set(buf, v);
  }
  return v;
}

/** What a consistent copy of a buffer needs to know of its layout. */
export interface SnapshotLayout {
  mappingBytes: number;
  /** Live bytes to read first: the version block and the vehicle count. */
  headBytes: number;
  /** Bytes from offset 0 holding the data the head announces (header + mNumVehicles records). */
  liveBytes(head: Buffer): number;
}

export const COPY_LAYOUTS: Record<ReadBuffer, SnapshotLayout> = {
  Telemetry: { mappingBytes: TELEMETRY.mappingBytes, headBytes: TELEMETRY.headBytes, liveBytes: (h) => telemetryLiveBytes(telemetryVehicleCount(h).count) },
  Scoring: { mappingBytes: SCORING.mappingBytes, headBytes: SCORING.headBytes, liveBytes: (h) => scoringLiveBytes(scoringVehicleCount(h).count) },
};

function f64(dv: DataView, at: number, stats: DecodeStats): number | null {
  const v = dv.getFloat64(at, true);
  if (Number.isFinite(v)) return v;
  stats.nonFinite++;
  return null;
}

function vec3(dv: DataView, at: number, stats: DecodeStats): Vec3 {
  return { x: f64(dv, at, stats), y: f64(dv, at + 8, stats), z: f64(dv, at + 16, stats) };
}

function str(buf: Buffer, at: number, field: readonly [number, number]): string {
  const start = at + field[0];
  return decodeCp1252(buf, start, start + field[1]);
}

/** One vehicle of the telemetry buffer. Floats that are NaN or infinite are null. */
export interface TelemetryVehicle {
  id: number;
  lapNumber: number;
  vehicleName: string;
  trackName: string;
  /** Game session time, s. */
  elapsedTimeS: number | null;
  /** World position, m. */
  positionM: Vec3;
  /** Vehicle-local velocity, m/s (+x left, +y up, +z rearwards). */
  localVelocityMs: Vec3;
  /** |localVelocity|, m/s and km/h. */
  speedMs: number | null;
  speedKmh: number | null;
  /** -1 reverse, 0 neutral, 1+ forward. */
  gear: number;
  rpm: number | null;
  maxRpm: number | null;
  /** Filtered (after the game's aids), 0..1; steering -1..1. */
  throttle: number | null;
  brake: number | null;
  steering: number | null;
  clutch: number | null;
  /** Raw pedal and wheel input, same ranges. */
  unfilteredThrottle: number | null;
  unfilteredBrake: number | null;
  unfilteredSteering: number | null;
  unfilteredClutch: number | null;
  fuelL: number | null;
  fuelCapacityL: number | null;
}

export function telemetryVehicleOffset(index: number): number {
  return TELEMETRY.vehicles + TELEMETRY.vehicleSize * index;
}

export function telemetryIdAt(buf: Buffer, index: number): number {
  return buf.readInt32LE(telemetryVehicleOffset(index) + TELEM_VEHICLE.id);
}

/** Index of the telemetry record with this mID among the first `count`, or -1. First occurrence wins. */
export function findTelemetryIndex(buf: Buffer, count: number, id: number): number {
  for (let i = 0; i < count; i++) if (telemetryIdAt(buf, i) === id) return i;
  return -1;
}

export function decodeTelemetryVehicle(buf: Buffer, index: number, stats: DecodeStats): TelemetryVehicle {
  const o = telemetryVehicleOffset(index);
  const T = TELEM_VEHICLE;
  const dv = viewOf(buf);
  const vel = vec3(dv, o + T.localVel, stats);
  let speedMs: number | null = null;
  if (vel.x !== null && vel.y !== null && vel.z !== null) speedMs = Math.sqrt(vel.x * vel.x + vel.y * vel.y + vel.z * vel.z);
  return {
    id: dv.getInt32(o + T.id, true),
    lapNumber: dv.getInt32(o + T.lapNumber, true),
    vehicleName: str(buf, o, T.vehicleName),
    trackName: str(buf, o, T.trackName),
    elapsedTimeS: f64(dv, o + T.elapsedTime, stats),
    positionM: vec3(dv, o + T.pos, stats),
    localVelocityMs: vel,
    speedMs,
    speedKmh: speedMs === null ? null : speedMs * 3.6,
    gear: dv.getInt32(o + T.gear, true),
    rpm: f64(dv, o + T.engineRPM, stats),
    maxRpm: f64(dv, o + T.engineMaxRPM, stats),
    throttle: f64(dv, o + T.filteredThrottle, stats),
    brake: f64(dv, o + T.filteredBrake, stats),
    steering: f64(dv, o + T.filteredSteering, stats),
    clutch: f64(dv, o + T.filteredClutch, stats),
    unfilteredThrottle: f64(dv, o + T.unfilteredThrottle, stats),
    unfilteredBrake: f64(dv, o + T.unfilteredBrake, stats),
    unfilteredSteering: f64(dv, o + T.unfilteredSteering, stats),
    unfilteredClutch: f64(dv, o + T.unfilteredClutch, stats),
    fuelL: f64(dv, o + T.fuel, stats),
    fuelCapacityL: f64(dv, o + T.fuelCapacity, stats),
  };
}

export interface TelemetryFrame {
  numVehicles: number;
  vehicles: TelemetryVehicle[];
}

/** Every vehicle of a telemetry copy (bounded by its own mNumVehicles, clamped to 0..128). */
export function decodeTelemetry(buf: Buffer, stats: DecodeStats): TelemetryFrame {
  const { count } = telemetryVehicleCount(buf);
  const vehicles = new Array<TelemetryVehicle>(count);
  for (let i = 0; i < count; i++) vehicles[i] = decodeTelemetryVehicle(buf, i, stats);
  return { numVehicles: count, vehicles };
}

/** Session-wide part of the scoring buffer. */
export interface ScoringInfo {
  trackName: string;
  session: number;
  sessionKind: string;
  /** Session time now and at its end, s. */
  currentTimeS: number | null;
  endTimeS: number | null;
  maxLaps: number;
  lapLengthM: number | null;
  gamePhase: number;
  gamePhaseName: string;
  inRealtime: boolean;
  playerName: string;
  /** mNumVehicles clamped to 0..128. */
  numVehicles: number;
}

export function decodeScoringInfo(buf: Buffer, stats: DecodeStats): ScoringInfo {
  const o = SCORING.info;
  const S = SCORING_INFO;
  const dv = viewOf(buf);
  const session = buf.readInt32LE(o + S.session);
  const phase = buf.readUInt8(o + S.gamePhase);
  return {
    trackName: str(buf, o, S.trackName),
    session,
    sessionKind: sessionKind(session),
    currentTimeS: f64(dv, o + S.currentET, stats),
    endTimeS: f64(dv, o + S.endET, stats),
    maxLaps: buf.readInt32LE(o + S.maxLaps),
    lapLengthM: f64(dv, o + S.lapDist, stats),
    gamePhase: phase,
    gamePhaseName: GAME_PHASES[phase] ?? 'unknown',
    inRealtime: buf.readUInt8(o + S.inRealtime) !== 0,
    playerName: str(buf, o, S.playerName),
    numVehicles: scoringVehicleCount(buf).count,
  };
}

export interface VehicleScoring {
  id: number;
  driverName: string;
  vehicleName: string;
  vehicleClass: string;
  /** 1-based. */
  place: number;
  /** Laps completed. */
  laps: number;
  lapDistanceM: number | null;
  /** null when none yet (the game writes <= 0). */
  bestLapS: number | null;
  lastLapS: number | null;
  /** 1, 2 or 3 (the game's 0 means sector 3). */
  sector: number;
  inPits: boolean;
  isPlayer: boolean;
  control: number;
  controlName: string;
}

export function vehicleScoringOffset(index: number): number {
  return SCORING.vehicles + SCORING.vehicleSize * index;
}

export function scoringIdAt(buf: Buffer, index: number): number {
  return buf.readInt32LE(vehicleScoringOffset(index) + VEH_SCORING.id);
}

/** Index of the first record with mIsPlayer set among the first `count`, or -1. */
export function findPlayerScoringIndex(buf: Buffer, count: number): number {
  for (let i = 0; i < count; i++) if (buf.readUInt8(vehicleScoringOffset(i) + VEH_SCORING.isPlayer) !== 0) return i;
  return -1;
}

function lapTime(v: number | null): number | null {
  return v === null || v <= 0 ? null : v;
}

export function decodeVehicleScoring(buf: Buffer, index: number, stats: DecodeStats): VehicleScoring {
  const o = vehicleScoringOffset(index);
  const V = VEH_SCORING;
  const dv = viewOf(buf);
  const sector = buf.readInt8(o + V.sector);
  const control = buf.readInt8(o + V.control);
  return {
    id: buf.readInt32LE(o + V.id),
    driverName: str(buf, o, V.driverName),
    vehicleName: str(buf, o, V.vehicleName),
    vehicleClass: str(buf, o, V.vehicleClass),
    place: buf.readUInt8(o + V.place),
    laps: buf.readInt16LE(o + V.totalLaps),
    lapDistanceM: f64(dv, o + V.lapDist, stats),
    bestLapS: lapTime(f64(dv, o + V.bestLapTime, stats)),
    lastLapS: lapTime(f64(dv, o + V.lastLapTime, stats)),
    sector: sector === 0 ? 3 : sector,
    inPits: buf.readUInt8(o + V.inPits) !== 0,
    isPlayer: buf.readUInt8(o + V.isPlayer) !== 0,
    control,
    controlName: CONTROLS[control] ?? 'unknown',
  };
}

export interface ScoringFrame {
  info: ScoringInfo;
  vehicles: VehicleScoring[];
}

export function decodeScoring(buf: Buffer, stats: DecodeStats): ScoringFrame {
  const info = decodeScoringInfo(buf, stats);
  const vehicles = new Array<VehicleScoring>(info.numVehicles);
  for (let i = 0; i < info.numVehicles; i++) vehicles[i] = decodeVehicleScoring(buf, i, stats);
  return { info, vehicles };
}
