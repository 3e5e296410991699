/**
 * The decoded race-control data, as this plugin publishes it: camelCase, durations in milliseconds
 * (`...Ms`), times as ms since the epoch (`...At`, null when Server Manager sent its zero time),
 * speeds in km/h unless the name says otherwise, positions in world metres.
 */

export interface Vec3 {
  x: number;
  y: number;
  z: number;
}

export type SessionType = 'booking' | 'practice' | 'qualifying' | 'race' | 'unknown';

export interface Session {
  serverName: string;
  track: string;
  /** Layout; "" when the track has none. */
  trackConfig: string;
  /** e.g. "Practice", "Qualify", "Race". */
  name: string;
  type: SessionType;
  /** AC's code: 0 booking, 1 practice, 2 qualifying, 3 race. */
  typeCode: number;
  /** Length of a timed session in minutes; 0 for lap races. */
  timeMinutes: number;
  laps: number;
  waitTimeS: number;
  ambientTempC: number;
  roadTempC: number;
  weather: string;
  /** Session time elapsed, as of the server's last 30 s poll. */
  elapsedMs: number;
  sessionIndex: number;
  currentSessionIndex: number;
  sessionCount: number;
  /** AC UDP protocol version. */
  protocolVersion: number;
}

export interface TrackInfo {
  name: string;
  city: string;
  country: string;
  description: string;
  geotags: string[];
  /** As written in ui_track.json, e.g. "5793m". */
  length: string;
  pitboxes: number;
  run: string;
  tags: string[];
  width: string;
}

/** map.ini [PARAMETERS], for projecting world X/Z onto map.png. */
export interface TrackMap {
  width: number;
  height: number;
  margin: number;
  scaleFactor: number;
  offsetX: number;
  /** The map's Z offset (Server Manager names it offset_y). */
  offsetZ: number;
  drawingSize: number;
  padding: number | null;
}

export interface CarInfo {
  carId: number;
  guid: string;
  name: string;
  initials: string;
  carModel: string;
  carName: string;
  carSkin: string;
  /** v2 only; null when the server does not send one. */
  teamName: string | null;
  raceNumber: number | null;
  /** v2 only: tyre compound code such as "S"; null when not sent or not known yet. */
  tyres: string | null;
  spectator: boolean;
}

export interface Collision {
  id: string;
  /** "with other car" | "with environment". */
  type: string;
  at: number | null;
  otherDriverGuid: string;
  otherDriverName: string;
  speedKmh: number;
}

/** What the latest CarUpdate (53) said about a car, between snapshots. */
export interface LiveCarState {
  pos: Vec3;
  speedKmh: number;
  /** -1 reverse, 0 neutral, 1 first ... */
  gear: number;
  rpm: number;
  /** 0..1 around the lap. */
  splinePos: number;
  /** When this plugin received it. */
  at: number;
}

export interface Driver extends CarInfo {
  connected: boolean;
  /** 1-based place in this list's sorted order (Server Manager's Position); null when 0 or 255. */
  position: number | null;
  /** v2 only: live race position. */
  racePosition: number | null;
  /** Gap text as the server wrote it: "0s", "6.814s", "1 lap", "" ... */
  split: string;
  splitMs: number | null;
  splitLaps: number | null;
  /** Laps completed in the current car this session. */
  laps: number;
  /** Laps completed this session across all cars. */
  totalLaps: number;
  lastLapMs: number | null;
  bestLapMs: number | null;
  totalLapTimeMs: number;
  topSpeedBestLapKmh: number;
  topSpeedThisLapKmh: number;
  lastLapCompletedAt: number | null;
  connectedAt: number | null;
  loadedAt: number | null;
  lastSeenAt: number | null;
  /** Last known world position; null before the first CarUpdate. */
  pos: Vec3 | null;
  collisions: Collision[];
  /** Other car models this driver used this session. */
  otherCars: string[];
  inPits: boolean | null;
  numPits: number | null;
  numLongPits: number | null;
  drsActive: boolean | null;
  blueFlag: boolean | null;
  pingMs: number | null;
  live: LiveCarState | null;
}

export interface ChatMessage {
  carId: number;
  guid: string;
  name: string;
  text: string;
  at: number | null;
}

export interface Snapshot {
  session: Session;
  trackMap: TrackMap | null;
  track: TrackInfo | null;
  sessionStartedAt: number | null;
  /** ms between CarUpdates; null when the live map is off (-1). */
  realtimeIntervalMs: number | null;
  chat: ChatMessage[];
  /** In the server's order (GUIDsInPositionalOrder). */
  connected: Driver[];
  disconnected: Driver[];
  carIdToGuid: Record<string, string>;
  /** v2 only: the session's best lap. */
  bestLapMs: number | null;
}

export interface CarUpdate {
  carId: number;
  pos: Vec3;
  velocity: Vec3;
  speedKmh: number;
  gear: number;
  rpm: number;
  splinePos: number;
  /** v2 extras, null when absent. */
  racePosition: number | null;
  gap: string | null;
  inPits: boolean | null;
  drsActive: boolean | null;
  numPits: number | null;
}

export interface CollisionEvent {
  carId: number;
  /** null for a collision with the environment. */
  otherCarId: number | null;
  impactSpeedMps: number;
  impactSpeedKmh: number;
  worldPos: Vec3 | null;
  relPos: Vec3 | null;
}

/** A decoded frame. `name` is also the topic suffix of `emperor/<server>/event/<name>`. */
export type RaceControlEvent =
  | { eventType: 200; name: 'snapshot'; data: Snapshot }
  | { eventType: 10; name: 'collision_with_car'; data: CollisionEvent }
  | { eventType: 11; name: 'collision_with_env'; data: CollisionEvent }
  | { eventType: 50; name: 'new_session'; data: Session }
  | { eventType: 51; name: 'new_connection'; data: CarInfo }
  | { eventType: 52; name: 'connection_closed'; data: CarInfo }
  | { eventType: 53; name: 'car_update'; data: CarUpdate }
  | { eventType: 56; name: 'version'; data: { protocolVersion: number } }
  | { eventType: 57; name: 'chat'; data: ChatMessage }
  | { eventType: 58; name: 'client_loaded'; data: { carId: number } }
  | { eventType: 54 | 55 | 59 | 60 | 73 | 130; name: string; data: { raw: unknown } };
