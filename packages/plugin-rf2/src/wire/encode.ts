/**
 * The writer side of the layout: fills rF2-layout payloads from plain objects, with the offset tables
 * of layout.ts. Used by the tests (fixtures read back through the real readers) and the simulator.
 * Version counters are left to the caller (Rf2BufferWriter), as the plugin does.
 */
import { encodeCp1252 } from './cp1252.js';
import {
  BUFFERS,
  MAX_VEHICLES,
  SCORING,
  SCORING_INFO,
  TELEM_VEHICLE,
  TELEMETRY,
  VEH_SCORING,
  VERSION,
  scoringLiveBytes,
  telemetryLiveBytes,
  telemetryVehicleOffset,
  vehicleScoringOffset,
  type ReadBuffer,
} from './layout.js';

export interface Vec3Input {
  x: number;
  y: number;
  z: number;
}

/** One telemetry record. Omitted numbers are 0, omitted strings empty. */
export interface TelemetryVehicleInput {
  id: number;
  lapNumber?: number;
  vehicleName?: string;
  trackName?: string;
  deltaTimeS?: number;
  elapsedTimeS?: number;
  lapStartS?: number;
  positionM?: Vec3Input;
  /** Vehicle-local, m/s, +z rearwards (forward motion is negative z). */
  localVelocityMs?: Vec3Input;
  gear?: number;
  rpm?: number;
  maxRpm?: number;
  throttle?: number;
  brake?: number;
  steering?: number;
  clutch?: number;
  unfilteredThrottle?: number;
  unfilteredBrake?: number;
  unfilteredSteering?: number;
  unfilteredClutch?: number;
  fuelL?: number;
  fuelCapacityL?: number;
  maxGears?: number;
}

export interface TelemetryInput {
  vehicles: readonly TelemetryVehicleInput[];
  /** Written as mNumVehicles instead of vehicles.length (bad-input fixtures). */
  numVehicles?: number;
}

export interface VehicleScoringInput {
  id: number;
  driverName?: string;
  vehicleName?: string;
  vehicleClass?: string;
  place?: number;
  laps?: number;
  sector?: number;
  lapDistanceM?: number;
  bestLapS?: number;
  lastLapS?: number;
  inPits?: boolean;
  isPlayer?: boolean;
  control?: number;
  lapStartS?: number;
  timeBehindLeaderS?: number;
  positionM?: Vec3Input;
  localVelocityMs?: Vec3Input;
}

export interface ScoringInput {
  trackName?: string;
  session?: number;
  currentTimeS?: number;
  endTimeS?: number;
  maxLaps?: number;
  lapLengthM?: number;
  gamePhase?: number;
  inRealtime?: boolean;
  playerName?: string;
  vehicles: readonly VehicleScoringInput[];
  /** Written as mNumVehicles instead of vehicles.length (bad-input fixtures). */
  numVehicles?: number;
}

function vec(buf: Buffer, at: number, v: Vec3Input | undefined): void {
  buf.writeDoubleLE(v?.x ?? 0, at);
  buf.writeDoubleLE(v?.y ?? 0, at + 8);
  buf.writeDoubleLE(v?.z ?? 0, at + 16);
}

/** Writes the telemetry payload (from file offset 8); returns the bytes from offset 0 it covers. */
export function encodeTelemetry(buf: Buffer, input: TelemetryInput): number {
  const list = input.vehicles.slice(0, MAX_VEHICLES);
  buf.writeInt32LE(TELEMETRY.vehicles - VERSION.size + TELEMETRY.vehicleSize * list.length, TELEMETRY.bytesUpdatedHint);
  buf.writeInt32LE(input.numVehicles ?? list.length, TELEMETRY.numVehicles);
  const T = TELEM_VEHICLE;
  list.forEach((v, i) => {
    const o = telemetryVehicleOffset(i);
    buf.fill(0, o, o + TELEMETRY.vehicleSize);
    buf.writeInt32LE(v.id, o + T.id);
    buf.writeDoubleLE(v.deltaTimeS ?? 0, o + T.deltaTime);
    buf.writeDoubleLE(v.elapsedTimeS ?? 0, o + T.elapsedTime);
    buf.writeInt32LE(v.lapNumber ?? 0, o + T.lapNumber);
    buf.writeDoubleLE(v.lapStartS ?? 0, o + T.lapStartET);
    encodeCp1252(v.vehicleName ?? '', buf, o + T.vehicleName[0], T.vehicleName[1]);
    encodeCp1252(v.trackName ?? '', buf, o + T.trackName[0], T.trackName[1]);
    vec(buf, o + T.pos, v.positionM);
    vec(buf, o + T.localVel, v.localVelocityMs);
    buf.writeInt32LE(v.gear ?? 0, o + T.gear);
    buf.writeDoubleLE(v.rpm ?? 0, o + T.engineRPM);
    buf.writeDoubleLE(v.maxRpm ?? 0, o + T.engineMaxRPM);
    buf.writeDoubleLE(v.unfilteredThrottle ?? v.throttle ?? 0, o + T.unfilteredThrottle);
    buf.writeDoubleLE(v.unfilteredBrake ?? v.brake ?? 0, o + T.unfilteredBrake);
    buf.writeDoubleLE(v.unfilteredSteering ?? v.steering ?? 0, o + T.unfilteredSteering);
    buf.writeDoubleLE(v.unfilteredClutch ?? v.clutch ?? 0, o + T.unfilteredClutch);
    buf.writeDoubleLE(v.throttle ?? 0, o + T.filteredThrottle);
    buf.writeDoubleLE(v.brake ?? 0, o + T.filteredBrake);
    buf.writeDoubleLE(v.steering ?? 0, o + T.filteredSteering);
    buf.writeDoubleLE(v.clutch ?? 0, o + T.filteredClutch);
    buf.writeDoubleLE(v.fuelL ?? 0, o + T.fuel);
    buf.writeDoubleLE(v.fuelCapacityL ?? 0, o + T.fuelCapacity);
    buf.writeUInt8(v.maxGears ?? 0, o + T.maxGears);
  });
  return telemetryLiveBytes(list.length);
}

/** Writes the scoring payload (from file offset 8); returns the bytes from offset 0 it covers. */
export function encodeScoring(buf: Buffer, input: ScoringInput): number {
  const list = input.vehicles.slice(0, MAX_VEHICLES);
  buf.writeInt32LE(SCORING.vehicles - VERSION.size + SCORING.vehicleSize * list.length, SCORING.bytesUpdatedHint);
  const o = SCORING.info;
  const S = SCORING_INFO;
  buf.fill(0, o, o + SCORING.infoSize);
  encodeCp1252(input.trackName ?? '', buf, o + S.trackName[0], S.trackName[1]);
  buf.writeInt32LE(input.session ?? 0, o + S.session);
  buf.writeDoubleLE(input.currentTimeS ?? 0, o + S.currentET);
  buf.writeDoubleLE(input.endTimeS ?? 0, o + S.endET);
  buf.writeInt32LE(input.maxLaps ?? 0, o + S.maxLaps);
  buf.writeDoubleLE(input.lapLengthM ?? 0, o + S.lapDist);
  buf.writeInt32LE(input.numVehicles ?? list.length, o + S.numVehicles);
  buf.writeUInt8(input.gamePhase ?? 0, o + S.gamePhase);
  buf.writeUInt8(input.inRealtime ? 1 : 0, o + S.inRealtime);
  encodeCp1252(input.playerName ?? '', buf, o + S.playerName[0], S.playerName[1]);
  const V = VEH_SCORING;
  list.forEach((v, i) => {
    const p = vehicleScoringOffset(i);
    buf.fill(0, p, p + SCORING.vehicleSize);
    buf.writeInt32LE(v.id, p + V.id);
    encodeCp1252(v.driverName ?? '', buf, p + V.driverName[0], V.driverName[1]);
    encodeCp1252(v.vehicleName ?? '', buf, p + V.vehicleName[0], V.vehicleName[1]);
    encodeCp1252(v.vehicleClass ?? '', buf, p + V.vehicleClass[0], V.vehicleClass[1]);
    buf.writeInt16LE(v.laps ?? 0, p + V.totalLaps);
    // The game numbers sectors 1, 2 and 0 for the third.
    buf.writeInt8(v.sector === 3 ? 0 : (v.sector ?? 1), p + V.sector);
    buf.writeDoubleLE(v.lapDistanceM ?? 0, p + V.lapDist);
    buf.writeDoubleLE(v.bestLapS ?? -1, p + V.bestLapTime);
    buf.writeDoubleLE(v.lastLapS ?? -1, p + V.lastLapTime);
    buf.writeUInt8(v.isPlayer ? 1 : 0, p + V.isPlayer);
    buf.writeInt8(v.control ?? (v.isPlayer ? 0 : 1), p + V.control);
    buf.writeUInt8(v.inPits ? 1 : 0, p + V.inPits);
    buf.writeUInt8(v.place ?? i + 1, p + V.place);
    buf.writeDoubleLE(v.timeBehindLeaderS ?? 0, p + V.timeBehindLeader);
    buf.writeDoubleLE(v.lapStartS ?? 0, p + V.lapStartET);
    vec(buf, p + V.pos, v.positionM);
    vec(buf, p + V.localVel, v.localVelocityMs);
  });
  return scoringLiveBytes(list.length);
}

/**
 * In-memory rF2 mappings (Telemetry and Scoring) written with the plugin's version protocol: Begin is
 * bumped, the payload written, End bumped. `begin()`/`end()` split a write so a test can leave a
 * buffer torn. Counters are uint32 and wrap.
 */
export class Rf2BufferWriter {
  readonly telemetry = Buffer.alloc(BUFFERS.Telemetry.mappingBytes);
  readonly scoring = Buffer.alloc(BUFFERS.Scoring.mappingBytes);

  constructor(initialVersion = 0) {
    this.setVersions('Telemetry', initialVersion, initialVersion);
    this.setVersions('Scoring', initialVersion, initialVersion);
  }

  image(type: ReadBuffer): Buffer {
    return type === 'Telemetry' ? this.telemetry : this.scoring;
  }

  setVersions(type: ReadBuffer, begin: number, end: number): void {
    const b = this.image(type);
    b.writeUInt32LE(begin >>> 0, VERSION.begin);
    b.writeUInt32LE(end >>> 0, VERSION.end);
  }

  /** Starts a write (Begin += 1). Like the plugin, first resyncs End := Begin if they differ. */
  begin(type: ReadBuffer): void {
    const b = this.image(type);
    const begin = b.readUInt32LE(VERSION.begin);
    if (begin !== b.readUInt32LE(VERSION.end)) b.writeUInt32LE(begin, VERSION.end);
    b.writeUInt32LE((begin + 1) >>> 0, VERSION.begin);
  }

  /** Completes a write (End += 1). */
  end(type: ReadBuffer): void {
    const b = this.image(type);
    b.writeUInt32LE((b.readUInt32LE(VERSION.end) + 1) >>> 0, VERSION.end);
  }

  /** A whole versioned update; returns the bytes from offset 0 it covers. */
  writeTelemetry(input: TelemetryInput): number {
    this.begin('Telemetry');
    const n = this.writeTelemetryPayload(input);
    this.end('Telemetry');
    return n;
  }

  writeScoring(input: ScoringInput): number {
    this.begin('Scoring');
    const n = this.writeScoringPayload(input);
    this.end('Scoring');
    return n;
  }

  /** The payload alone, versions untouched (for a writer that stores each step, or leaves a write open). */
  writeTelemetryPayload(input: TelemetryInput): number {
    return encodeTelemetry(this.telemetry, input);
  }

  writeScoringPayload(input: ScoringInput): number {
    return encodeScoring(this.scoring, input);
  }

  /** Zero-fills a payload (versions untouched), as the plugin does at start-up, session start and shutdown; returns the bytes it covers. */
  clearPayload(type: ReadBuffer): number {
    return this.image(type).fill(0, VERSION.size).length;
  }
}
