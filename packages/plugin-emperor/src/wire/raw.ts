/**
 * The race-control JSON exactly as Server Manager sends it (Go field names, Go types). v1 fields are
 * required here because the fake server writes all of them; the fields newer (v2) builds add are
 * optional. The decoder does not trust these types: it validates with ./schema.ts.
 */

export interface RawVec3 {
  X: number;
  Y: number;
  Z: number;
}

export interface RawSessionInfo {
  Version: number;
  SessionIndex: number;
  CurrentSessionIndex: number;
  SessionCount: number;
  ServerName: string;
  Track: string;
  TrackConfig: string;
  Name: string;
  /** 0 booking, 1 practice, 2 qualifying, 3 race. */
  Type: number;
  /** Minutes; 0 for lap races. */
  Time: number;
  Laps: number;
  /** Seconds. */
  WaitTime: number;
  AmbientTemp: number;
  RoadTemp: number;
  WeatherGraphics: string;
  ElapsedMilliseconds: number;
  EventType: number;
}

export interface RawTrackMapData {
  width: number;
  height: number;
  margin: number;
  scale_factor: number;
  offset_x: number;
  /** The map's Z offset, despite the name. */
  offset_y: number;
  drawing_size: number;
  padding?: number;
}

export interface RawTrackInfo {
  name: string;
  city: string;
  country: string;
  description: string;
  geotags: string[] | null;
  length: string;
  /** Go json.Number: a bare number. */
  pitboxes: number;
  run: string;
  tags: string[] | null;
  width: string;
}

export interface RawCarInfo {
  CarID: number;
  DriverName: string;
  DriverGUID: string;
  CarModel: string;
  CarSkin: string;
  DriverInitials: string;
  CarName: string;
  EventType: number;
  Tyres?: string;
  TeamName?: string;
  RaceNumber?: number;
  IsSpectator?: boolean;
}

export interface RawCollision {
  ID: string;
  Type: string;
  Time: string;
  OtherDriverGUID: string;
  OtherDriverName: string;
  /** km/h. */
  Speed: number;
}

export interface RawCarLapInfo {
  TopSpeedThisLap: number;
  TopSpeedBestLap: number;
  /** ns. */
  BestLap: number;
  NumLaps: number;
  /** ns. */
  LastLap: number;
  LastLapCompletedTime: string;
  /** ns. */
  TotalLapTime: number;
  CarName: string;
}

export interface RawDriver {
  CarInfo: RawCarInfo;
  TotalNumLaps: number;
  ConnectedTime: string;
  LoadedTime: string;
  Position: number;
  Split: string;
  LastSeen: string;
  LastPos: RawVec3;
  Collisions: RawCollision[] | null;
  Cars: Record<string, RawCarLapInfo>;
  IsInPits?: boolean;
  NumPits?: number;
  NumLongPits?: number;
  DRSActive?: boolean;
  BlueFlag?: boolean;
  Ping?: number;
  RacePosition?: number;
}

export interface RawDriverMap {
  Drivers: Record<string, RawDriver>;
  GUIDsInPositionalOrder: string[] | null;
}

export interface RawChat {
  CarID: number;
  Message: string;
  DriverGUID: string;
  DriverName: string;
  Time: string;
}

export interface RawRaceControl {
  SessionInfo: RawSessionInfo;
  TrackMapData: RawTrackMapData;
  TrackInfo: RawTrackInfo;
  SessionStartTime: string;
  CurrentRealtimePosInterval: number;
  ChatMessages: RawChat[] | null;
  ChatMessagesMutex: Record<string, never>;
  ConnectedDrivers: RawDriverMap;
  DisconnectedDrivers: RawDriverMap;
  CarIDToGUID: Record<string, string>;
  BestLap?: number;
}

export interface RawCarUpdate {
  CarID: number;
  Pos: RawVec3;
  Velocity: RawVec3;
  /** AC's raw gear: 0 reverse, 1 neutral, 2 first. */
  Gear: number;
  EngineRPM: number;
  NormalisedSplinePos: number;
  RacePosition?: number;
  Gap?: string;
  IsInPits?: boolean;
  DRSActive?: boolean;
  NumPits?: number;
}

export interface RawCollisionWithEnv {
  CarID: number;
  /** m/s. */
  ImpactSpeed: number;
  WorldPos: RawVec3;
  RelPos: RawVec3;
}

export interface RawCollisionWithCar extends RawCollisionWithEnv {
  OtherCarID: number;
}

/** Every frame: exactly these two keys, in this order. */
export interface RawFrame<M = unknown> {
  EventType: number;
  Message: M;
}
