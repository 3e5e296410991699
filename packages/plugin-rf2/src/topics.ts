import { defineTopic, z, type SchemaIs, type TopicMap } from '@acgateway/core';
import type { FeedMessage, ScoringMessage, StatusMessage, VehiclesMessage } from './messages.js';
import type { TelemetryVehicle } from './wire/layout.js';

// rf2's topics as contracts (checked against every payload in tests). Floats the game wrote as
// NaN or Infinity are null (never NaN, which JSON cannot carry); the checks at the bottom keep these
// schemas and the decoder's types in step at compile time.

const num = z.number().nullable();
const int = z.number().int();
const vec3 = z.object({ x: num, y: num, z: num });
const telemetry = z.object({
  id: int,
  lapNumber: int,
  vehicleName: z.string(),
  trackName: z.string(),
  elapsedTimeS: num,
  positionM: vec3,
  localVelocityMs: vec3,
  speedMs: num,
  speedKmh: num,
  gear: int,
  rpm: num,
  maxRpm: num,
  throttle: num,
  brake: num,
  steering: num,
  clutch: num,
  unfilteredThrottle: num,
  unfilteredBrake: num,
  unfilteredSteering: num,
  unfilteredClutch: num,
  fuelL: num,
  fuelCapacityL: num,
});
const feed = z.object({ driverName: z.string(), vehicleName: z.string(), place: int, gear: int, brake: num, throttle: num });
const vehicles = z.object({ numVehicles: int, vehicles: z.array(telemetry.extend({ driverName: z.string().nullable(), place: int.nullable(), isPlayer: z.boolean() })) });
const vehicleScoring = z.object({
  id: int,
  driverName: z.string(),
  vehicleName: z.string(),
  vehicleClass: z.string(),
  place: int,
  laps: int,
  lapDistanceM: num,
  bestLapS: num,
  lastLapS: num,
  sector: int,
  inPits: z.boolean(),
  isPlayer: z.boolean(),
  control: int,
  controlName: z.string(),
});
const scoring = z.object({
  trackName: z.string(),
  session: int,
  sessionKind: z.string(),
  currentTimeS: num,
  endTimeS: num,
  maxLaps: int,
  lapLengthM: num,
  gamePhase: int,
  gamePhaseName: z.string(),
  inRealtime: z.boolean(),
  playerName: z.string(),
  numVehicles: int,
  vehicles: z.array(vehicleScoring),
});
const status = z.object({ state: z.enum(['not_running', 'no_session', 'no_player', 'connected']), reason: z.string(), reader: z.string(), telemetry: z.string(), scoring: z.string() });

export const rf2Topics = {
  status: defineTopic('rf2/status', status, { retained: true, description: 'whether rF2 is running with a session and a player, and why not', rate: 'on change' }),
  telemetry: defineTopic('rf2/telemetry', telemetry, { description: "the player's telemetry", rate: 'each new telemetry frame (~50 Hz)' }),
  player: defineTopic('rf2/player', feed, { retained: true, description: "the seed's feed message: driver, vehicle, place, gear, pedals", rate: 'with rf2/telemetry and on a new place' }),
  vehicles: defineTopic('rf2/vehicles', vehicles, { description: 'every car\'s telemetry with its driver and place', rate: 'at most vehiclesHz (10), while subscribed' }),
  scoring: defineTopic('rf2/scoring', scoring, { description: 'the session and every car\'s standing', rate: 'at most scoringHz (5)' }),
};

/** rf2's topics by name and payload type, for a typed client: `connect<Rf2Topics>(url)`. */
export type Rf2Topics = TopicMap<typeof rf2Topics>;

true satisfies SchemaIs<typeof telemetry, TelemetryVehicle>;
true satisfies SchemaIs<typeof feed, FeedMessage>;
true satisfies SchemaIs<typeof vehicles, VehiclesMessage>;
true satisfies SchemaIs<typeof scoring, ScoringMessage>;
true satisfies SchemaIs<typeof status, StatusMessage>;
