/**
 * The `EventType` codes of the race-control websocket. They are the AC UDP plugin message ids
 * (Server Manager `pkg/udp`), plus 200, which on this socket only tags the full snapshot.
 */
export const EventType = {
  CollisionWithCar: 10,
  CollisionWithEnv: 11,
  NewSession: 50,
  NewConnection: 51,
  ConnectionClosed: 52,
  CarUpdate: 53,
  CarInfo: 54,
  EndSession: 55,
  Version: 56,
  Chat: 57,
  ClientLoaded: 58,
  SessionInfo: 59,
  Error: 60,
  LapCompleted: 73,
  ClientEvent: 130,
  RaceControl: 200,
} as const;

export type EventTypeCode = (typeof EventType)[keyof typeof EventType];

/** Names used in topics (`emperor/<server>/event/<name>`) and logs. */
export const EVENT_NAMES: Readonly<Record<EventTypeCode, string>> = {
  10: 'collision_with_car',
  11: 'collision_with_env',
  50: 'new_session',
  51: 'new_connection',
  52: 'connection_closed',
  53: 'car_update',
  54: 'car_info',
  55: 'end_session',
  56: 'version',
  57: 'chat',
  58: 'client_loaded',
  59: 'session_info',
  60: 'error',
  73: 'lap_completed_udp',
  130: 'client_event',
  200: 'snapshot',
};

export function isKnownEventType(code: number): code is EventTypeCode {
  return Object.prototype.hasOwnProperty.call(EVENT_NAMES, code);
}
