import { ACSP_NAME_BY_ID, ClientEventType, MessageId, NO_CAR } from './ids.js';
import { asBuffer, Reader } from './reader.js';
import type {
  AcspEvent,
  CarInfoEvent,
  CarUpdateEvent,
  ClientEvent,
  ConnectionEvent,
  DecodeError,
  DecodeResult,
  LapCompletedEvent,
  LeaderboardEntry,
  SessionInfoEvent,
} from './types.js';

const reader = new Reader();

/**
 * Whether the message's end is known (a datagram) rather than only where the buffer ends (a
 * concatenated capture). Only then can the AssettoServer string variants be told apart.
 */
let exactEnd = false;

/**
 * Decodes one datagram: exactly one server->plugin message. `length` in the result may be less
 * than the datagram's size (bytes left over); the caller decides what that means.
 */
export function decodeDatagram(data: Uint8Array): DecodeResult<AcspEvent> {
  exactEnd = true;
  return decodeAt(asBuffer(data), 0, data.length);
}

/**
 * Decodes the message starting at `offset` of a buffer that may hold more after it (a raw
 * capture with datagram boundaries lost). The result's `length` says where the next one starts.
 */
export function decodeMessageAt(data: Uint8Array, offset = 0, end = data.length): DecodeResult<AcspEvent> {
  exactEnd = false;
  return decodeAt(asBuffer(data), offset, end);
}

function decodeAt(buf: Buffer, start: number, end: number): DecodeResult<AcspEvent> {
  if (start >= end) return { ok: false, error: { id: -1, offset: 0, reason: 'empty', message: 'empty message: no id byte' } };
  const id = buf[start]!;
  const name = (ACSP_NAME_BY_ID as Record<number, string>)[id];
  if (name === undefined) {
    return { ok: false, error: { id, offset: 0, reason: 'unknown_id', message: `unknown message id ${id}: not a server-to-plugin message of protocol 4` } };
  }
  reader.reset(buf, start, end, id, name);
  return reader.read(readBody);
}

function readBody(r: Reader): AcspEvent {
  switch (r.id) {
    case MessageId.NEW_SESSION:
      return readSessionInfo(r, 'new_session');
    case MessageId.SESSION_INFO:
      return readSessionInfo(r, 'session_info');
    case MessageId.NEW_CONNECTION:
      return readConnection(r, 'new_connection');
    case MessageId.CONNECTION_CLOSED:
      return readConnection(r, 'connection_closed');
    case MessageId.CAR_UPDATE:
      return readCarUpdate(r);
    case MessageId.CAR_INFO:
      return readCarInfo(r);
    case MessageId.END_SESSION:
      return { type: 'end_session', resultsFile: readTolerantString(r, 'results_filename') };
    case MessageId.VERSION:
      return { type: 'version', protocolVersion: r.u8('protocol_version') };
    case MessageId.CHAT:
      return { type: 'chat', carId: r.u8('car_id'), message: r.stringW('message') };
    case MessageId.CLIENT_LOADED:
      return { type: 'client_loaded', carId: r.u8('car_id') };
    case MessageId.ERROR:
      return { type: 'server_error', message: r.stringW('message') };
    case MessageId.LAP_COMPLETED:
      return readLapCompleted(r);
    case MessageId.CLIENT_EVENT:
      return readClientEvent(r);
    default:
      throw r.fail('unknown_id', `unknown message id ${r.id}`, r.start);
  }
}

function readSessionInfo(r: Reader, type: SessionInfoEvent['type']): SessionInfoEvent {
  const protocolVersion = r.u8('protocol_version');
  const sessionIndex = r.u8('session_index');
  const currentSessionIndex = r.u8('current_session_index');
  const sessionCount = r.u8('session_count');
  const serverName = r.stringW('server_name');
  const track = r.string('track');
  const trackConfig = r.string('track_config');
  const name = r.string('session_name');
  const sessionType = r.u8('session_type');
  const timeMinutes = r.u16('time');
  const laps = r.u16('laps');
  const waitTime = r.u16('wait_time');
  const ambientTempC = r.u8('ambient_temp');
  const roadTempC = r.u8('road_temp');
  const weatherGraphics = readWeather(r);
  const elapsedMs = r.i32('elapsed_ms');
  return {
    type,
    protocolVersion,
    sessionIndex,
    currentSessionIndex,
    sessionCount,
    serverName,
    track,
    trackConfig,
    name,
    sessionType,
    timeMinutes,
    laps,
    waitTime,
    ambientTempC,
    roadTempC,
    weatherGraphics,
    elapsedMs,
  };
}

/**
 * Kunos writes weather narrow; AssettoServer writes it wide. It is the last string, so with the
 * datagram's end known the bytes left decide: N + 4 for Kunos, 4N + 4 for AssettoServer.
 */
function readWeather(r: Reader): string {
  if (exactEnd && r.pos < r.end) {
    const n = r.buf[r.pos]!;
    const left = r.end - r.pos - 1;
    if (n > 0 && left !== n + 4 && left === n * 4 + 4 && looksLikeUtf32(r.buf, r.pos + 1, n)) return r.stringW('weather_graphics');
  }
  return r.string('weather_graphics');
}

/** END_SESSION's filename: wide from Kunos, narrow (UTF-8) from AssettoServer; told apart by the bytes left. */
function readTolerantString(r: Reader, field: string): string {
  if (exactEnd && r.pos < r.end) {
    const n = r.buf[r.pos]!;
    const left = r.end - r.pos - 1;
    // UTF-32 of a path is mostly NUL bytes, UTF-8 text has none: a truncated wide string is not taken for narrow.
    if (n > 0 && left !== n * 4 && left === n && r.buf.subarray(r.pos + 1, r.end).indexOf(0) === -1) return r.string(field);
  }
  return r.stringW(field);
}

function looksLikeUtf32(buf: Buffer, at: number, n: number): boolean {
  for (let i = 0; i < n; i++, at += 4) if (buf[at + 3] !== 0 || buf[at + 2]! > 0x10) return false;
  return true;
}

function readConnection(r: Reader, type: ConnectionEvent['type']): ConnectionEvent {
  const driverName = r.stringW('driver_name');
  const driverGuid = r.stringW('driver_guid');
  const carId = r.u8('car_id');
  const carModel = r.string('car_model');
  const carSkin = r.string('car_skin');
  return { type, driverName, driverGuid, carId, carModel, carSkin };
}

function readCarUpdate(r: Reader): CarUpdateEvent {
  r.need(32, 'car_update body');
  const carId = r.u8('car_id');
  const pos = r.vec3('pos');
  const velocity = r.vec3('velocity');
  const gear = r.u8('gear');
  const engineRpm = r.u16('engine_rpm');
  const normalizedSplinePos = r.f32('normalized_spline_pos');
  return { type: 'car_update', carId, pos, velocity, gear, engineRpm, normalizedSplinePos };
}

function readCarInfo(r: Reader): CarInfoEvent {
  const carId = r.u8('car_id');
  const isConnected = r.bool('is_connected');
  const carModel = r.stringW('car_model');
  const carSkin = r.stringW('car_skin');
  const driverName = r.stringW('driver_name');
  const driverTeam = r.stringW('driver_team');
  const driverGuid = r.stringW('driver_guid');
  return { type: 'car_info', carId, isConnected, carModel, carSkin, driverName, driverTeam, driverGuid };
}

function readLapCompleted(r: Reader): LapCompletedEvent {
  r.need(7, 'car_id..cars_count');
  const carId = r.u8('car_id');
  const lapTimeMs = r.u32('lap_time');
  const cuts = r.u8('cuts');
  const count = r.u8('cars_count');
  const countAt = r.pos - 1;
  if (r.pos + count * 8 + 4 > r.end) {
    throw r.fail(
      'truncated',
      `leaderboard of ${count} entries needs ${count * 8} bytes plus 4 for grip_level at offset ${r.pos - r.start}, the message has ${r.end - r.pos} left`,
      countAt,
    );
  }
  const b = r.buf;
  let p = r.pos;
  const leaderboard: LeaderboardEntry[] = new Array(count);
  for (let i = 0; i < count; i++, p += 8) {
    leaderboard[i] = {
      carId: b[p]!,
      timeMs: (b[p + 1]! | (b[p + 2]! << 8) | (b[p + 3]! << 16)) + b[p + 4]! * 0x1000000,
      laps: b[p + 5]! | (b[p + 6]! << 8),
      completed: b[p + 7]! !== 0,
    };
  }
  r.pos = p;
  const gripLevel = r.f32('grip_level');
  return { type: 'lap_completed', carId, lapTimeMs, cuts, leaderboard, gripLevel };
}

function readClientEvent(r: Reader): ClientEvent {
  const eventType = r.u8('event_type');
  if (eventType !== ClientEventType.COLLISION_WITH_CAR && eventType !== ClientEventType.COLLISION_WITH_ENV) {
    throw r.fail('unknown_collision_subtype', `unknown client event subtype ${eventType} (known: 10 collision with car, 11 collision with environment); its layout is unknown`, r.pos - 1);
  }
  const withCar = eventType === ClientEventType.COLLISION_WITH_CAR;
  r.need(withCar ? 30 : 29, withCar ? 'collision_with_car body' : 'collision_with_env body');
  const carId = r.u8('car_id');
  const otherCarId = withCar ? r.u8('other_car_id') : NO_CAR;
  const impactSpeed = r.f32('impact_speed');
  const worldPos = r.vec3('world_pos');
  const relPos = r.vec3('rel_pos');
  return {
    type: 'client_event',
    eventType,
    kind: withCar ? 'collision_with_car' : 'collision_with_env',
    carId,
    otherCarId,
    impactSpeed,
    worldPos,
    relPos,
  };
}

/** A DecodeError as one line, for logs and error replies. */
export function formatDecodeError(e: DecodeError): string {
  return `${e.reason} at offset ${e.offset}: ${e.message}`;
}
