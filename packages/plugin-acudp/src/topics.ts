import { defineTopic, z, type SchemaIs, type TopicMap } from '@acgateway/core';
import type { CarState, LeaderboardState, SessionState } from './client/state.js';
import type * as W from './wire/types.js';

// The topics of acudp as contracts: one zod schema per payload, checked against every published
// message in tests (the test kit's validateTopics). The `satisfies`-style checks at the bottom keep
// these schemas and the wire types the decoder produces in step at compile time.

/** A float32 as decoded: a garbled datagram can carry NaN or ±Infinity (JSON clients get null for them). */
const float = z.number().or(z.nan()).or(z.literal(Infinity)).or(z.literal(-Infinity));
const vec3 = z.object({ x: float, y: float, z: float });
const int = z.number().int();

const session = z.object({
  protocolVersion: int,
  sessionIndex: int,
  currentSessionIndex: int,
  sessionCount: int,
  serverName: z.string(),
  track: z.string(),
  trackConfig: z.string(),
  name: z.string(),
  sessionType: int,
  timeMinutes: int,
  laps: int,
  waitTime: int,
  ambientTempC: int,
  roadTempC: int,
  weatherGraphics: z.string(),
  elapsedMs: int,
});
const sessionEvent = session.extend({ type: z.enum(['new_session', 'session_info']) });
const connection = z.object({ type: z.enum(['new_connection', 'connection_closed']), driverName: z.string(), driverGuid: z.string(), carId: int, carModel: z.string(), carSkin: z.string() });
const carUpdate = z.object({ type: z.literal('car_update'), carId: int, pos: vec3, velocity: vec3, gear: int, engineRpm: int, normalizedSplinePos: float });
const entry = z.object({ carId: int, timeMs: int, laps: int, completed: z.boolean() });
const lapCompleted = z.object({ type: z.literal('lap_completed'), carId: int, lapTimeMs: int, cuts: int, leaderboard: z.array(entry), gripLevel: float });
const car = z.object({
  carId: int,
  connected: z.boolean(),
  loaded: z.boolean(),
  driverName: z.string(),
  driverGuid: z.string(),
  driverTeam: z.string(),
  carModel: z.string(),
  carSkin: z.string(),
  laps: int,
  lastLapMs: int.nullable(),
  lastLapCuts: int.nullable(),
  bestLapMs: int.nullable(),
});
const leaderboard = z.object({ sessionIndex: int.nullable(), sessionName: z.string().nullable(), carId: int, lapTimeMs: int, cuts: int, gripLevel: float, entries: z.array(entry), at: z.number() });

export const acudpTopics = {
  version: defineTopic('acudp/version', z.object({ type: z.literal('version'), protocolVersion: int }), { description: 'acServer started (VERSION, 56): the protocol version it speaks', rate: 'once per server start' }),
  newSession: defineTopic('acudp/new_session', sessionEvent, { description: 'a session began (NEW_SESSION, 50)', rate: 'per session' }),
  sessionInfo: defineTopic('acudp/session_info', sessionEvent, { description: 'the answer to GET_SESSION_INFO (59)', rate: 'per request' }),
  newConnection: defineTopic('acudp/new_connection', connection, { description: 'a driver joined a slot (51)', rate: 'per join' }),
  connectionClosed: defineTopic('acudp/connection_closed', connection, { description: 'a driver left (52)', rate: 'per leave' }),
  carUpdate: defineTopic('acudp/car_update', carUpdate, { description: 'one car\'s position, velocity, gear and rpm (53); key: the car id', rate: 'per connected car, every realtime interval' }),
  carUpdates: defineTopic('acudp/car_updates', z.object({ updates: z.array(carUpdate) }), { description: 'the car updates that arrived together (one round of all cars)', rate: 'per round, with batchCarUpdates' }),
  carInfo: defineTopic(
    'acudp/car_info',
    z.object({ type: z.literal('car_info'), carId: int, isConnected: z.boolean(), carModel: z.string(), carSkin: z.string(), driverName: z.string(), driverTeam: z.string(), driverGuid: z.string() }),
    { description: 'the answer to GET_CAR_INFO (54)', rate: 'per request' },
  ),
  endSession: defineTopic('acudp/end_session', z.object({ type: z.literal('end_session'), resultsFile: z.string() }), { description: 'a session ended (55); the results file the server wrote', rate: 'per session' }),
  chat: defineTopic('acudp/chat', z.object({ type: z.literal('chat'), carId: int, message: z.string() }), { description: 'a line a driver typed (57)', rate: 'per line' }),
  clientLoaded: defineTopic('acudp/client_loaded', z.object({ type: z.literal('client_loaded'), carId: int }), { description: 'a driver finished loading (58)', rate: 'per join' }),
  serverError: defineTopic('acudp/server_error', z.object({ type: z.literal('server_error'), message: z.string() }), { description: 'the server\'s ERROR (60), e.g. a bad index in a command', rate: 'rare' }),
  lapCompleted: defineTopic('acudp/lap_completed', lapCompleted, { description: 'a car crossed the line (73), with the leaderboard', rate: 'per completed lap' }),
  clientEvent: defineTopic(
    'acudp/client_event',
    z.object({ type: z.literal('client_event'), eventType: z.union([z.literal(10), z.literal(11)]), kind: z.enum(['collision_with_car', 'collision_with_env']), carId: int, otherCarId: int, impactSpeed: float, worldPos: vec3, relPos: vec3 }),
    { description: 'a collision (130)', rate: 'per collision' },
  ),
  state: defineTopic(
    'acudp/state',
    z.object({ mode: z.enum(['udp', 'replay']), protocolVersion: int.nullable(), session: session.nullable(), sessions: z.array(session), cars: z.array(car), leaderboard: leaderboard.nullable(), lastResultsFile: z.string().nullable() }),
    { retained: true, description: 'what the server told so far: session, sessions, cars and drivers, the last standings', rate: 'after any event but a car update, coalesced' },
  ),
  replay: defineTopic(
    'acudp/replay',
    z.object({ file: z.string(), format: z.string(), speed: z.union([z.number(), z.literal('max')]), loop: z.boolean(), total: int, played: int, passes: int, done: z.boolean() }),
    { retained: true, description: 'progress of a replay', rate: 'while replaying' },
  ),
};

/** acudp's topics by name and payload type, for a typed client: `connect<AcudpTopics>(url)`. */
export type AcudpTopics = TopicMap<typeof acudpTopics>;

// Compile-time: the schemas describe exactly what the decoder and the state produce.
true satisfies SchemaIs<typeof lapCompleted, W.LapCompletedEvent>;
true satisfies SchemaIs<typeof carUpdate, W.CarUpdateEvent>;
true satisfies SchemaIs<typeof connection, W.ConnectionEvent>;
true satisfies SchemaIs<typeof sessionEvent, W.SessionInfoEvent>;
true satisfies SchemaIs<typeof session, SessionState>;
true satisfies SchemaIs<typeof car, CarState>;
true satisfies SchemaIs<typeof leaderboard, LeaderboardState>;
