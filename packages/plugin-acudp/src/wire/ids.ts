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

type MessageKey = keyof typeof MessageId;

/**
 * An event's name (topics, client events) is its message key in lower case, except ERROR:
 * "error" would collide with EventEmitter's special event and with errors of the plugin itself.
 */
export type EventName = Lowercase<Exclude<MessageKey, 'ERROR'>> | 'server_error';

/** acudpclient's constant names (`ACSP_LAP_COMPLETED`), used for `on_<NAME>` subscriber methods. */
export type AcspName = `ACSP_${MessageKey}`;

const MESSAGES = Object.entries(MessageId) as Array<[MessageKey, MessageId]>;

export const EVENT_NAME_BY_ID = Object.fromEntries(
  MESSAGES.map(([key, id]) => [id, key === 'ERROR' ? 'server_error' : key.toLowerCase()]),
) as Readonly<Record<MessageId, EventName>>;

export const EVENT_NAMES: readonly EventName[] = Object.values(EVENT_NAME_BY_ID);

export const ACSP_NAME_BY_ID = Object.fromEntries(MESSAGES.map(([key, id]) => [id, `ACSP_${key}`])) as Readonly<Record<MessageId, AcspName>>;
