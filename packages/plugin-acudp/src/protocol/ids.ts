/**
 * Message ids of ACSP, the Assetto Corsa dedicated server's UDP plugin protocol (protocol version 4).
 * Byte 0 of every datagram is one of these.
 */

/** Server -> plugin. */
export const MessageId = {
  NEW_SESSION: 50,
  NEW_CONNECTION: 51,
  CONNECTION_CLOSED: 52,
  CAR_UPDATE: 53,
  CAR_INFO: 54,
  END_SESSION: 55,
  VERSION: 56,
  CHAT: 57,
  CLIENT_LOADED: 58,
  SESSION_INFO: 59,
  ERROR: 60,
  LAP_COMPLETED: 73,
  CLIENT_EVENT: 130,
} as const;
export type MessageId = (typeof MessageId)[keyof typeof MessageId];

/** Plugin -> server. */
export const CommandId = {
  REALTIMEPOS_INTERVAL: 200,
  GET_CAR_INFO: 201,
  SEND_CHAT: 202,
  BROADCAST_CHAT: 203,
  GET_SESSION_INFO: 204,
  SET_SESSION_INFO: 205,
  KICK_USER: 206,
  NEXT_SESSION: 207,
  RESTART_SESSION: 208,
  ADMIN_COMMAND: 209,
} as const;
export type CommandId = (typeof CommandId)[keyof typeof CommandId];

/** Subtypes of CLIENT_EVENT (130). Only these two reach plugins; their layouts differ by one byte. */
export const ClientEventType = {
  COLLISION_WITH_CAR: 10,
  COLLISION_WITH_ENV: 11,
} as const;
export type ClientEventType = (typeof ClientEventType)[keyof typeof ClientEventType];

/** Session types as SESSION_INFO reports them (0 and 4+ are named by other servers only). */
export const SessionType = {
  BOOKING: 0,
  PRACTICE: 1,
  QUALIFY: 2,
  RACE: 3,
} as const;

/** The protocol version every known Kunos server (and the capture) reports. */
export const PROTOCOL_VERSION = 4;

/** car_id value meaning "no car". */
export const NO_CAR = 255;

/** Leaderboard time of a slot that has no time yet. */
export const NO_TIME = 999_999_999;

/** Longest wide string the one-byte length allows, in code points. */
export const MAX_STRING_CHARS = 255;

/** The event names used for topics and client events, by message id. */
export const EVENT_NAME_BY_ID = {
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
  // "error" would collide with EventEmitter's special event and with errors of the plugin itself.
  60: 'server_error',
  73: 'lap_completed',
  130: 'client_event',
} as const satisfies Record<MessageId, string>;

export type EventName = (typeof EVENT_NAME_BY_ID)[MessageId];

export const EVENT_NAMES: readonly EventName[] = Object.values(EVENT_NAME_BY_ID);

/** acudpclient's constant names (`ACSP_LAP_COMPLETED`), used for `on_<NAME>` subscriber methods. */
export const ACSP_NAME_BY_ID = {
  50: 'ACSP_NEW_SESSION',
  51: 'ACSP_NEW_CONNECTION',
  52: 'ACSP_CONNECTION_CLOSED',
  53: 'ACSP_CAR_UPDATE',
  54: 'ACSP_CAR_INFO',
  55: 'ACSP_END_SESSION',
  56: 'ACSP_VERSION',
  57: 'ACSP_CHAT',
  58: 'ACSP_CLIENT_LOADED',
  59: 'ACSP_SESSION_INFO',
  60: 'ACSP_ERROR',
  73: 'ACSP_LAP_COMPLETED',
  130: 'ACSP_CLIENT_EVENT',
} as const satisfies Record<MessageId, string>;

export type AcspName = (typeof ACSP_NAME_BY_ID)[MessageId];

export function isMessageId(id: number): id is MessageId {
  return Object.prototype.hasOwnProperty.call(EVENT_NAME_BY_ID, id);
}

export function isCommandId(id: number): id is CommandId {
  return id >= 200 && id <= 209;
}
