import { z } from 'zod';

/**
 * Validation of the Go-shaped payloads. Lenient where Server Manager versions differ (unknown keys
 * kept, v2 fields optional, v1 fields defaulted when a build leaves them out); strict only where a
 * value is needed to merge the update (a CarID, a GUID, a session's track, the driver maps).
 */

const str = z.string().default('');
const num = z.number().default(0);
const strList = z.array(z.string()).nullable().default(null);

export const Vec3Schema = z.looseObject({ X: z.number(), Y: z.number(), Z: z.number() });

export const SessionInfoSchema = z.looseObject({
  Version: num,
  SessionIndex: num,
  CurrentSessionIndex: num,
  SessionCount: num,
  ServerName: str,
  Track: z.string(),
  TrackConfig: str,
  Name: str,
  Type: z.number().int(),
  Time: num,
  Laps: num,
  WaitTime: num,
  AmbientTemp: num,
  RoadTemp: num,
  WeatherGraphics: str,
  ElapsedMilliseconds: num,
});

export const TrackMapDataSchema = z.looseObject({
  width: num,
  height: num,
  margin: num,
  scale_factor: num,
  offset_x: num,
  offset_y: num,
  drawing_size: num,
  padding: z.number().optional(),
});

export const TrackInfoSchema = z.looseObject({
  name: str,
  city: str,
  country: str,
  description: str,
  geotags: strList,
  length: z.union([z.string(), z.number()]).default(''),
  // json.Number comes out bare; the official TS model calls it a string, so take both.
  pitboxes: z.union([z.number(), z.string()]).default(0),
  run: str,
  tags: strList,
  width: z.union([z.string(), z.number()]).default(''),
});

export const CarInfoSchema = z.looseObject({
  CarID: z.number().int().min(0),
  DriverName: str,
  DriverGUID: z.string().min(1),
  CarModel: str,
  CarSkin: str,
  DriverInitials: str,
  CarName: str,
  Tyres: z.string().optional(),
  TeamName: z.string().optional(),
  RaceNumber: z.union([z.number(), z.string()]).optional(),
  IsSpectator: z.boolean().optional(),
});

export const CollisionSchema = z.looseObject({
  ID: str,
  Type: str,
  Time: str,
  OtherDriverGUID: str,
  OtherDriverName: str,
  Speed: num,
});

export const CarLapInfoSchema = z.looseObject({
  TopSpeedThisLap: num,
  TopSpeedBestLap: num,
  BestLap: num,
  NumLaps: num,
  LastLap: num,
  LastLapCompletedTime: str,
  TotalLapTime: num,
  CarName: str,
});

export const DriverSchema = z.looseObject({
  CarInfo: CarInfoSchema,
  TotalNumLaps: num,
  ConnectedTime: str,
  LoadedTime: str,
  Position: num,
  Split: str,
  LastSeen: str,
  LastPos: Vec3Schema.nullable().default(null),
  Collisions: z.array(CollisionSchema).nullable().default(null),
  Cars: z.record(z.string(), CarLapInfoSchema).nullable().default(null),
  IsInPits: z.boolean().optional(),
  NumPits: z.number().optional(),
  NumLongPits: z.number().optional(),
  DRSActive: z.boolean().optional(),
  BlueFlag: z.boolean().optional(),
  Ping: z.number().optional(),
  RacePosition: z.number().optional(),
});

/** Drivers are checked one by one (see decode.ts) so one odd entry does not cost the whole snapshot. */
export const DriverMapSchema = z.looseObject({
  Drivers: z.record(z.string(), z.unknown()).nullable().transform((d) => d ?? {}),
  GUIDsInPositionalOrder: strList,
});

export const ChatSchema = z.looseObject({
  CarID: num,
  Message: z.string(),
  DriverGUID: str,
  DriverName: str,
  Time: str,
});

export const RaceControlSchema = z.looseObject({
  SessionInfo: SessionInfoSchema,
  TrackMapData: TrackMapDataSchema.nullable().default(null),
  TrackInfo: TrackInfoSchema.nullable().default(null),
  SessionStartTime: str,
  CurrentRealtimePosInterval: z.number().default(-1),
  ChatMessages: z.array(z.unknown()).nullable().default(null),
  ConnectedDrivers: DriverMapSchema,
  DisconnectedDrivers: DriverMapSchema.nullable().default(null),
  CarIDToGUID: z.record(z.string(), z.string()).nullable().default(null),
  BestLap: z.number().optional(),
});

export const CarUpdateSchema = z.looseObject({
  CarID: z.number().int().min(0),
  Pos: Vec3Schema,
  Velocity: Vec3Schema.nullable().default(null),
  Gear: num,
  EngineRPM: num,
  NormalisedSplinePos: num,
  RacePosition: z.number().optional(),
  Gap: z.string().optional(),
  IsInPits: z.boolean().optional(),
  DRSActive: z.boolean().optional(),
  NumPits: z.number().optional(),
});

export const CollisionWithEnvSchema = z.looseObject({
  CarID: z.number().int().min(0),
  ImpactSpeed: num,
  WorldPos: Vec3Schema.nullable().default(null),
  RelPos: Vec3Schema.nullable().default(null),
});

export const CollisionWithCarSchema = CollisionWithEnvSchema.extend({ OtherCarID: z.number().int().min(0) });

/** 56 and 58 carry a bare number. */
export const BareIntSchema = z.number().int().min(0);
