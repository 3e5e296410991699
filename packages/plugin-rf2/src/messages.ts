/** Shapes of what the plugin publishes and of the seed's feed message. */
import type { ScoringInfo, TelemetryVehicle, VehicleScoring } from './wire/layout.js';

export type Pedals = 'filtered' | 'unfiltered';

/**
 * The rF2 WebSocket server's message, keys in the seed's order. Pedals are 0..1; gear -1 reverse,
 * 0 neutral; a non-finite pedal value is null (never NaN, which is not JSON).
 */
export interface FeedMessage {
  driverName: string;
  vehicleName: string;
  place: number;
  gear: number;
  brake: number | null;
  throttle: number | null;
}

export function feedMessage(scoring: VehicleScoring, telemetry: TelemetryVehicle, pedals: Pedals): FeedMessage {
  return {
    driverName: scoring.driverName,
    vehicleName: scoring.vehicleName,
    place: scoring.place,
    gear: telemetry.gear,
    brake: pedals === 'filtered' ? telemetry.brake : telemetry.unfilteredBrake,
    throttle: pedals === 'filtered' ? telemetry.throttle : telemetry.unfilteredThrottle,
  };
}

/** rf2/vehicles: every telemetry vehicle, joined with its scoring record by mID when there is one. */
export interface VehicleEntry extends TelemetryVehicle {
  driverName: string | null;
  place: number | null;
  isPlayer: boolean;
}

export interface VehiclesMessage {
  numVehicles: number;
  vehicles: VehicleEntry[];
}

/** rf2/scoring. */
export interface ScoringMessage extends ScoringInfo {
  vehicles: VehicleScoring[];
}

export type StatusState = 'not_running' | 'no_session' | 'no_player' | 'connected';

/** rf2/status (retained): published when the state or its reason changes. */
export interface StatusMessage {
  state: StatusState;
  /** Why, in words (what is missing, where it was looked for). */
  reason: string;
  /** How the buffers are read: 'windows', 'mmap' or 'read'. */
  reader: string;
  telemetry: string;
  scoring: string;
}
