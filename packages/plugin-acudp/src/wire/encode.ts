import { ClientEventType, MessageId } from './ids.js';
import { AcspEncodeError, Writer } from './writer.js';
import type { AcspEvent, SessionInfoEvent } from './types.js';

export interface EncodeEventOptions {
  /**
   * Write strings the way AssettoServer does (weather of NEW_SESSION/SESSION_INFO wide, END_SESSION
   * filename narrow) instead of the Kunos layout. For testing tolerant decoders.
   */
  assettoServerStrings?: boolean;
}

/** Encodes a server->plugin message as the Kunos acServer sends it: the fake server and tests use this. */
export function encodeEvent(event: AcspEvent, options: EncodeEventOptions = {}): Buffer {
  switch (event.type) {
    case 'new_session':
      return encodeSessionInfo(MessageId.NEW_SESSION, event, options);
    case 'session_info':
      return encodeSessionInfo(MessageId.SESSION_INFO, event, options);
    case 'new_connection':
    case 'connection_closed':
      return Writer.start(event.type === 'new_connection' ? MessageId.NEW_CONNECTION : MessageId.CONNECTION_CLOSED)
        .stringW(event.driverName, 'driverName')
        .stringW(event.driverGuid, 'driverGuid')
        .u8(event.carId, 'carId')
        .string(event.carModel, 'carModel')
        .string(event.carSkin, 'carSkin')
        .finish();
    case 'car_update':
      return Writer.start(MessageId.CAR_UPDATE)
        .u8(event.carId, 'carId')
        .vec3(event.pos, 'pos')
        .vec3(event.velocity, 'velocity')
        .u8(event.gear, 'gear')
        .u16(event.engineRpm, 'engineRpm')
        .f32(event.normalizedSplinePos, 'normalizedSplinePos')
        .finish();
    case 'car_info':
      return Writer.start(MessageId.CAR_INFO)
        .u8(event.carId, 'carId')
        .bool(event.isConnected)
        .stringW(event.carModel, 'carModel')
        .stringW(event.carSkin, 'carSkin')
        .stringW(event.driverName, 'driverName')
        .stringW(event.driverTeam, 'driverTeam')
        .stringW(event.driverGuid, 'driverGuid')
        .finish();
    case 'end_session': {
      const w = Writer.start(MessageId.END_SESSION);
      return (options.assettoServerStrings ? w.string(event.resultsFile, 'resultsFile') : w.stringW(event.resultsFile, 'resultsFile')).finish();
    }
    case 'version':
      return Writer.start(MessageId.VERSION).u8(event.protocolVersion, 'protocolVersion').finish();
    case 'chat':
      return Writer.start(MessageId.CHAT).u8(event.carId, 'carId').stringW(event.message, 'message').finish();
    case 'client_loaded':
      return Writer.start(MessageId.CLIENT_LOADED).u8(event.carId, 'carId').finish();
    case 'server_error':
      return Writer.start(MessageId.ERROR).stringW(event.message, 'message').finish();
    case 'lap_completed': {
      if (event.leaderboard.length > 255) throw new AcspEncodeError(`leaderboard has ${event.leaderboard.length} entries; at most 255 fit`);
      const w = Writer.start(MessageId.LAP_COMPLETED)
        .u8(event.carId, 'carId')
        .u32(event.lapTimeMs, 'lapTimeMs')
        .u8(event.cuts, 'cuts')
        .u8(event.leaderboard.length, 'cars_count');
      event.leaderboard.forEach((e, i) => {
        w.u8(e.carId, `leaderboard[${i}].carId`).u32(e.timeMs, `leaderboard[${i}].timeMs`).u16(e.laps, `leaderboard[${i}].laps`).bool(e.completed);
      });
      return w.f32(event.gripLevel, 'gripLevel').finish();
    }
    case 'client_event': {
      const withCar = event.eventType === ClientEventType.COLLISION_WITH_CAR;
      if (!withCar && event.eventType !== ClientEventType.COLLISION_WITH_ENV) {
        throw new AcspEncodeError(`client event subtype must be 10 or 11, got ${event.eventType as number}`);
      }
      const w = Writer.start(MessageId.CLIENT_EVENT).u8(event.eventType, 'eventType').u8(event.carId, 'carId');
      if (withCar) w.u8(event.otherCarId, 'otherCarId');
      return w.f32(event.impactSpeed, 'impactSpeed').vec3(event.worldPos, 'worldPos').vec3(event.relPos, 'relPos').finish();
    }
    default:
      throw new AcspEncodeError(`unknown event type ${JSON.stringify((event as { type?: unknown }).type)}`);
  }
}

function encodeSessionInfo(id: number, e: SessionInfoEvent, options: EncodeEventOptions): Buffer {
  const w = Writer.start(id)
    .u8(e.protocolVersion, 'protocolVersion')
    .u8(e.sessionIndex, 'sessionIndex')
    .u8(e.currentSessionIndex, 'currentSessionIndex')
    .u8(e.sessionCount, 'sessionCount')
    .stringW(e.serverName, 'serverName')
    .string(e.track, 'track')
    .string(e.trackConfig, 'trackConfig')
    .string(e.name, 'name')
    .u8(e.sessionType, 'sessionType')
    .u16(e.timeMinutes, 'timeMinutes')
    .u16(e.laps, 'laps')
    .u16(e.waitTime, 'waitTime')
    .u8(e.ambientTempC, 'ambientTempC')
    .u8(e.roadTempC, 'roadTempC');
  if (options.assettoServerStrings) w.stringW(e.weatherGraphics, 'weatherGraphics');
  else w.string(e.weatherGraphics, 'weatherGraphics');
  return w.i32(e.elapsedMs, 'elapsedMs').finish();
}
