import { ACSP_NAME_BY_ID, EVENT_NAME_BY_ID, type MessageId } from './ids.js';
import type { AcspEvent, Vec3 } from './types.js';

const ID_BY_EVENT_NAME = Object.fromEntries(Object.entries(EVENT_NAME_BY_ID).map(([id, name]) => [name, Number(id)])) as Record<AcspEvent['type'], MessageId>;

export function messageIdOf(event: AcspEvent): MessageId {
  return ID_BY_EVENT_NAME[event.type];
}

/** acudpclient's constant name of an event, e.g. `ACSP_LAP_COMPLETED`. */
export function acspNameOf(event: AcspEvent): string {
  return ACSP_NAME_BY_ID[messageIdOf(event)];
}

const vec = (v: Vec3) => [v.x, v.y, v.z];

/**
 * The event as acudpclient's parser gives it (its field names and shapes, `type`/`type_id` first),
 * for code and data written against that library. `elapsed_ms` stays signed here.
 */
export function toAcudpclient(event: AcspEvent): Record<string, unknown> {
  const head = { type: acspNameOf(event), type_id: messageIdOf(event) };
  switch (event.type) {
    case 'version':
      return { ...head, proto_version: event.protocolVersion };
    case 'new_session':
    case 'session_info':
      return {
        ...head,
        proto_version: event.protocolVersion,
        session_index: event.sessionIndex,
        current_sess_index: event.currentSessionIndex,
        session_count: event.sessionCount,
        server_name: event.serverName,
        track_name: event.track,
        track_config: event.trackConfig,
        name: event.name,
        session_type: event.sessionType,
        time: event.timeMinutes,
        laps: event.laps,
        wait_time: event.waitTime,
        ambient_temp: event.ambientTempC,
        track_temp: event.roadTempC,
        weather_graph: event.weatherGraphics,
        elapsed_ms: event.elapsedMs,
      };
    case 'new_connection':
    case 'connection_closed':
      return { ...head, driver_name: event.driverName, driver_guid: event.driverGuid, car_id: event.carId, car_model: event.carModel, car_skin: event.carSkin };
    case 'car_update':
      return {
        ...head,
        car_id: event.carId,
        pos: vec(event.pos),
        vel: vec(event.velocity),
        gear: event.gear,
        engine_rpm: event.engineRpm,
        normalized_spline_pos: event.normalizedSplinePos,
      };
    case 'car_info':
      return {
        ...head,
        car_id: event.carId,
        is_connected: event.isConnected,
        car_model: event.carModel,
        car_skin: event.carSkin,
        driver_name: event.driverName,
        driver_team: event.driverTeam,
        driver_guid: event.driverGuid,
      };
    case 'end_session':
      return { ...head, filename: event.resultsFile };
    case 'chat':
      return { ...head, car_id: event.carId, message: event.message };
    case 'client_loaded':
      return { ...head, car_id: event.carId };
    case 'server_error':
      return { ...head, message: event.message };
    case 'lap_completed':
      return {
        ...head,
        car_id: event.carId,
        lap_time: event.lapTimeMs,
        cuts: event.cuts,
        cars: event.leaderboard.map((e) => ({ rcar_id: e.carId, rtime: e.timeMs, rlaps: e.laps, has_completed_flag: e.completed })),
        grip_level: event.gripLevel,
      };
    case 'client_event':
      return {
        ...head,
        ev_type: event.eventType,
        car_id: event.carId,
        other_car_id: event.otherCarId,
        impact_speed: event.impactSpeed,
        world_pos: vec(event.worldPos),
        rel_pos: vec(event.relPos),
      };
  }
}
