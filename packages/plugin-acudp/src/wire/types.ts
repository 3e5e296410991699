import type { ClientEventType, EventName } from './ids.js';

export interface Vec3 {
  x: number;
  y: number;
  z: number;
}

/** VERSION (56): sent once when acServer starts. */
export interface VersionEvent {
  type: 'version';
  protocolVersion: number;
}

/** NEW_SESSION (50) pushed at each session start, SESSION_INFO (59) the answer to GET_SESSION_INFO: same body. */
export interface SessionInfoEvent {
  type: 'new_session' | 'session_info';
  protocolVersion: number;
  /** The session this message describes. */
  sessionIndex: number;
  /** The session running now. */
  currentSessionIndex: number;
  sessionCount: number;
  serverName: string;
  track: string;
  trackConfig: string;
  /** Session name, e.g. "Qualify". */
  name: string;
  /** 1 practice, 2 qualify, 3 race (0 booking on some servers). */
  sessionType: number;
  /** Session length in minutes (0 for a race run over laps). */
  timeMinutes: number;
  laps: number;
  /** Wait before the start; the capture suggests milliseconds (unconfirmed). */
  waitTime: number;
  ambientTempC: number;
  roadTempC: number;
  weatherGraphics: string;
  /** Signed: negative while a race waits to start. */
  elapsedMs: number;
}

/** NEW_CONNECTION (51) and CONNECTION_CLOSED (52). */
export interface ConnectionEvent {
  type: 'new_connection' | 'connection_closed';
  driverName: string;
  /** 17-digit Steam id as text. */
  driverGuid: string;
  carId: number;
  carModel: string;
  carSkin: string;
}

/** CAR_UPDATE (53): one per connected car each realtime interval. */
export interface CarUpdateEvent {
  type: 'car_update';
  carId: number;
  /** World position, metres. */
  pos: Vec3;
  /** Velocity (undocumented units; AC uses m/s elsewhere). */
  velocity: Vec3;
  /** Gear as the server sends it (AC elsewhere: 0 reverse, 1 neutral, 2 first; unverified). */
  gear: number;
  engineRpm: number;
  /** 0..1 around the lap. */
  normalizedSplinePos: number;
}

/** CAR_INFO (54): answer to GET_CAR_INFO. */
export interface CarInfoEvent {
  type: 'car_info';
  carId: number;
  isConnected: boolean;
  carModel: string;
  carSkin: string;
  driverName: string;
  driverTeam: string;
  driverGuid: string;
}

/** END_SESSION (55). */
export interface EndSessionEvent {
  type: 'end_session';
  /** Path of the results JSON the server wrote, e.g. `results/2016_7_24_22_52_QUALIFY.json`. */
  resultsFile: string;
}

/** CHAT (57): every line a driver types, commands included. */
export interface ChatEvent {
  type: 'chat';
  carId: number;
  message: string;
}

/** CLIENT_LOADED (58): the driver finished loading. */
export interface ClientLoadedEvent {
  type: 'client_loaded';
  carId: number;
}

/** ERROR (60): e.g. an out-of-range index in a command. */
export interface ServerErrorEvent {
  type: 'server_error';
  message: string;
}

/** One 8-byte leaderboard entry of LAP_COMPLETED. */
export interface LeaderboardEntry {
  carId: number;
  /** Best lap (practice, qualify) or total race time, ms; 999999999 when the slot has no time. */
  timeMs: number;
  laps: number;
  /** The "has completed" flag: probably, the car has finished the race. */
  completed: boolean;
}

/** LAP_COMPLETED (73). */
export interface LapCompletedEvent {
  type: 'lap_completed';
  carId: number;
  lapTimeMs: number;
  /** Track cuts on this lap (0 is a valid lap). */
  cuts: number;
  /** Every entry-list slot, ordered by time. */
  leaderboard: LeaderboardEntry[];
  /** Track grip, 0..1. */
  gripLevel: number;
}

/** CLIENT_EVENT (130): a collision. */
export interface ClientEvent {
  type: 'client_event';
  eventType: ClientEventType;
  kind: 'collision_with_car' | 'collision_with_env';
  carId: number;
  /** The other car (subtype 10); 255 for a collision with the environment (not on the wire). */
  otherCarId: number;
  /** Impact speed (undocumented units; the capture shows 32-62). */
  impactSpeed: number;
  worldPos: Vec3;
  /** Impact point relative to the car. */
  relPos: Vec3;
}

export type AcspEvent =
  | VersionEvent
  | SessionInfoEvent
  | ConnectionEvent
  | CarUpdateEvent
  | CarInfoEvent
  | EndSessionEvent
  | ChatEvent
  | ClientLoadedEvent
  | ServerErrorEvent
  | LapCompletedEvent
  | ClientEvent;

/**
 * The event type for an event name (`EventOf<'lap_completed'>` is LapCompletedEvent). Distributes
 * over the union, so names that share an interface (`new_connection`, `connection_closed`) resolve too.
 */
export type EventOf<N extends EventName> = AcspEvent extends infer E ? (E extends { type: infer T } ? (N extends T ? E & { type: N } : never) : never) : never;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Compile-time: the events' `type`s are exactly the names derived from the message ids. */
export type EventNamesMatchIds = Assert<Same<EventName, AcspEvent['type']>>;

export type DecodeErrorReason =
  /** Zero bytes: no id at all. */
  | 'empty'
  /** The id byte is not a known server->plugin (or plugin->server) message. */
  | 'unknown_id'
  /** The message ends before its layout does. */
  | 'truncated'
  /** A string's length byte points past the end of the message. */
  | 'string_overrun'
  /** CLIENT_EVENT with a subtype other than 10 or 11: its layout is unknown. */
  | 'unknown_collision_subtype';

/** Why a message could not be decoded. `offset` is counted from the message's first byte (its id). */
export interface DecodeError {
  id: number;
  offset: number;
  reason: DecodeErrorReason;
  /** A sentence naming the message, field and sizes. */
  message: string;
}

export type DecodeResult<T> =
  | { ok: true; value: T; /** bytes consumed, id included */ length: number }
  | { ok: false; error: DecodeError };

/* Plugin -> server commands. */

export interface RealtimeIntervalCommand {
  type: 'realtimepos_interval';
  /** 0 turns car updates off. */
  intervalMs: number;
}
export interface GetCarInfoCommand {
  type: 'get_car_info';
  carId: number;
}
export interface SendChatCommand {
  type: 'send_chat';
  carId: number;
  message: string;
}
export interface BroadcastChatCommand {
  type: 'broadcast_chat';
  message: string;
}
export interface GetSessionInfoCommand {
  type: 'get_session_info';
  /** -1 = the current session. */
  sessionIndex: number;
}
export interface SetSessionInfoCommand {
  type: 'set_session_info';
  sessionIndex: number;
  name: string;
  sessionType: number;
  laps: number;
  /** Seconds here, unlike SESSION_INFO's minutes. */
  timeS: number;
  waitTimeS: number;
}
export interface KickUserCommand {
  type: 'kick_user';
  carId: number;
}
export interface NextSessionCommand {
  type: 'next_session';
}
export interface RestartSessionCommand {
  type: 'restart_session';
}
export interface AdminCommand {
  type: 'admin_command';
  /** A server chat admin command, e.g. `/ballast 0 50`. */
  command: string;
}

export type AcspCommand =
  | RealtimeIntervalCommand
  | GetCarInfoCommand
  | SendChatCommand
  | BroadcastChatCommand
  | GetSessionInfoCommand
  | SetSessionInfoCommand
  | KickUserCommand
  | NextSessionCommand
  | RestartSessionCommand
  | AdminCommand;

export type CommandName = AcspCommand['type'];
