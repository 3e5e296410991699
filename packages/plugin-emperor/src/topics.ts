import { defineTopic, z, type SchemaIs, type TopicMap } from '@acgateway/core';
import type { DriversPayload, StatePayload, TeamPayload } from './payloads.js';
import type { LapCompleted } from './state/race-state.js';
import type { CarInfo, CarUpdate, ChatMessage, CollisionEvent, Driver, Session } from './wire/types.js';

// emperor's topics as contracts, one family per configured server (`emperor/<server>/...`), checked
// against every payload in tests. Units as the README says: ms, ms since the epoch (null = never), km/h.

const num = z.number();
const int = z.number().int();
const at = z.number().nullable();
const vec3 = z.object({ x: num, y: num, z: num });
const sessionType = z.enum(['booking', 'practice', 'qualifying', 'race', 'unknown']);
const session = z.object({
  serverName: z.string(),
  track: z.string(),
  trackConfig: z.string(),
  name: z.string(),
  type: sessionType,
  typeCode: int,
  timeMinutes: num,
  laps: int,
  waitTimeS: num,
  ambientTempC: num,
  roadTempC: num,
  weather: z.string(),
  elapsedMs: num,
  sessionIndex: int,
  currentSessionIndex: int,
  sessionCount: int,
  protocolVersion: int,
});
const track = z.object({
  name: z.string(),
  city: z.string(),
  country: z.string(),
  description: z.string(),
  geotags: z.array(z.string()),
  length: z.string(),
  pitboxes: num,
  run: z.string(),
  tags: z.array(z.string()),
  width: z.string(),
});
const trackMap = z.object({ width: num, height: num, margin: num, scaleFactor: num, offsetX: num, offsetZ: num, drawingSize: num, padding: num.nullable() });
const carInfo = z.object({
  carId: int,
  guid: z.string(),
  name: z.string(),
  initials: z.string(),
  carModel: z.string(),
  carName: z.string(),
  carSkin: z.string(),
  teamName: z.string().nullable(),
  raceNumber: num.nullable(),
  tyres: z.string().nullable(),
  spectator: z.boolean(),
});
const driver = carInfo.extend({
  connected: z.boolean(),
  position: int.nullable(),
  racePosition: int.nullable(),
  split: z.string(),
  splitMs: num.nullable(),
  splitLaps: int.nullable(),
  laps: int,
  totalLaps: int,
  lastLapMs: num.nullable(),
  bestLapMs: num.nullable(),
  totalLapTimeMs: num,
  topSpeedBestLapKmh: num,
  topSpeedThisLapKmh: num,
  lastLapCompletedAt: at,
  connectedAt: at,
  loadedAt: at,
  lastSeenAt: at,
  pos: vec3.nullable(),
  collisions: z.array(z.object({ id: z.string(), type: z.string(), at, otherDriverGuid: z.string(), otherDriverName: z.string(), speedKmh: num })),
  otherCars: z.array(z.string()),
  inPits: z.boolean().nullable(),
  numPits: int.nullable(),
  numLongPits: int.nullable(),
  drsActive: z.boolean().nullable(),
  blueFlag: z.boolean().nullable(),
  pingMs: num.nullable(),
  live: z.object({ pos: vec3, speedKmh: num, gear: int, rpm: num, splinePos: num, at: num }).nullable(),
});
const state = z.object({
  server: z.string(),
  url: z.string(),
  connection: z.object({ state: z.enum(['idle', 'connecting', 'open', 'retrying', 'stopped']), since: num, attempts: int, lastError: z.string().nullable(), nextRetryAt: at }),
  hasSnapshot: z.boolean(),
  snapshotAt: at,
  session: session.nullable(),
  track: track.nullable(),
  trackMap: trackMap.nullable(),
  sessionStartedAt: at,
  sessionEndsAt: at,
  lapsRemaining: int.nullable(),
  realtimeIntervalMs: num.nullable(),
  bestLapMs: num.nullable(),
  protocolVersion: int.nullable(),
  drivers: z.object({ connected: int, disconnected: int }),
  team: int.nullable(),
});
const drivers = z.object({
  server: z.string(),
  session: z.object({ name: z.string(), type: sessionType, track: z.string(), trackConfig: z.string() }).nullable(),
  connected: z.array(driver),
  disconnected: z.array(driver),
});
const team = z.object({ server: z.string(), rule: z.object({ tag: z.string().nullable(), teamName: z.string().nullable() }), connected: z.array(driver), disconnected: z.array(driver) });
const carUpdate = z.object({
  carId: int,
  pos: vec3,
  velocity: vec3,
  speedKmh: num,
  gear: int,
  rpm: num,
  splinePos: num,
  racePosition: int.nullable(),
  gap: z.string().nullable(),
  inPits: z.boolean().nullable(),
  drsActive: z.boolean().nullable(),
  numPits: int.nullable(),
});
const lap = z.object({
  guid: z.string(),
  carId: int,
  name: z.string(),
  carModel: z.string(),
  lapMs: num.nullable(),
  laps: int,
  totalLaps: int,
  bestLapMs: num.nullable(),
  personalBest: z.boolean(),
  position: int.nullable(),
  split: z.string(),
});
const chat = z.object({ carId: int, guid: z.string(), name: z.string(), text: z.string(), at });
const collision = z.object({ carId: int, otherCarId: int.nullable(), impactSpeedMps: num, impactSpeedKmh: num, worldPos: vec3.nullable(), relPos: vec3.nullable() });
const server = { server: z.string() };
const who = { guid: z.string().nullable(), name: z.string().nullable() };

export const emperorTopics = {
  state: defineTopic('emperor/+/state', state, { description: "One server's connection, session, track and counts", retained: true, rate: 'on every connection change, snapshot, new session and version event' }),
  drivers: defineTopic('emperor/+/drivers', drivers, { description: 'Connected and disconnected drivers in the server\'s order, with laps, gaps and the last car update', rate: 'per snapshot and per connect, disconnect and client-loaded event' }),
  team: defineTopic('emperor/+/team', team, { description: "The team rule's drivers (only when `teamTag` or `teamName` is set)", retained: true, rate: 'with each drivers' }),
  carUpdate: defineTopic('emperor/+/event/car_update', carUpdate.extend({ ...server, guid: z.string(), name: z.string() }), { description: 'A car\'s position, speed, gear and rpm (EventType 53)', rate: 'per connected car every realtimeIntervalMs (default 500 ms)' }),
  lapCompleted: defineTopic('emperor/+/event/lap_completed', lap.extend(server), { description: 'A lap, found by comparing consecutive snapshots of the session', rate: 'per lap' }),
  newConnection: defineTopic('emperor/+/event/new_connection', carInfo.extend(server), { description: 'A driver joined (EventType 51)', rate: 'per join' }),
  connectionClosed: defineTopic('emperor/+/event/connection_closed', carInfo.extend({ ...server, laps: int, totalLaps: int, bestLapMs: num.nullable() }), { description: 'A driver left (EventType 52), with the laps they drove', rate: 'per leave' }),
  clientLoaded: defineTopic('emperor/+/event/client_loaded', z.object({ ...server, ...who, carId: int }), { description: 'A driver finished loading (EventType 58)', rate: 'per join' }),
  newSession: defineTopic('emperor/+/event/new_session', session.extend(server), { description: 'A session started (EventType 50)', rate: 'per session' }),
  chat: defineTopic('emperor/+/event/chat', chat.extend(server), { description: 'A chat message (EventType 57); stored chat replayed after a reconnect is not published again', rate: 'per message' }),
  collisionWithCar: defineTopic('emperor/+/event/collision_with_car', collision.extend({ ...server, ...who, otherGuid: z.string().nullable(), otherName: z.string().nullable() }), { description: 'Contact between two cars (EventType 10)', rate: 'per contact' }),
  collisionWithEnv: defineTopic('emperor/+/event/collision_with_env', collision.extend({ ...server, ...who }), { description: 'Contact with the environment (EventType 11), otherCarId null', rate: 'per contact' }),
  version: defineTopic('emperor/+/event/version', z.object({ ...server, protocolVersion: int }), { description: 'acServer (re)started (EventType 56)', rate: 'per acServer start' }),
  other: defineTopic('emperor/+/event/+', z.object({ ...server, eventType: int, raw: z.unknown() }), { description: 'EventTypes known builds never forward (54, 55, 59, 60, 73, 130), passed on as received', rate: 'never from known managers' }),
} as const;

/** Pattern -> payload type, for `connect<EmperorTopics>(url)` from @acgateway/client. */
export type EmperorTopics = TopicMap<typeof emperorTopics>;

// The schemas and the decoder's own types describe the same values (checked by tsc).
true satisfies SchemaIs<typeof state, StatePayload>;
true satisfies SchemaIs<typeof drivers, DriversPayload>;
true satisfies SchemaIs<typeof team, TeamPayload>;
true satisfies SchemaIs<typeof driver, Driver>;
true satisfies SchemaIs<typeof session, Session>;
true satisfies SchemaIs<typeof carInfo, CarInfo>;
true satisfies SchemaIs<typeof carUpdate, CarUpdate>;
true satisfies SchemaIs<typeof lap, LapCompleted>;
true satisfies SchemaIs<typeof chat, ChatMessage>;
true satisfies SchemaIs<typeof collision, CollisionEvent>;
