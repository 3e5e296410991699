/**
 * Finding the player: the scoring record with mIsPlayer set among scoring's own mNumVehicles, and its
 * telemetry by mID among telemetry's own mNumVehicles. The two arrays are filled in different orders,
 * so an index never carries over from one buffer to the other.
 */
import {
  VEH_SCORING,
  findPlayerScoringIndex,
  findTelemetryIndex,
  scoringIdAt,
  scoringVehicleCount,
  telemetryVehicleCount,
  vehicleScoringOffset,
} from './wire/layout.js';
import { decodeCp1252 } from './wire/cp1252.js';

export type PlayerLookup =
  | { ok: true; id: number; scoringIndex: number; telemetryIndex: number }
  | { ok: false; state: 'no_session' | 'no_player'; reason: string };

export function findPlayer(scoring: Buffer, telemetry: Buffer): PlayerLookup {
  const scored = scoringVehicleCount(scoring).count;
  if (scored === 0) return { ok: false, state: 'no_session', reason: 'rF2 is running but no session is loaded (scoring lists no vehicles)' };
  const scoringIndex = findPlayerScoringIndex(scoring, scored);
  if (scoringIndex < 0) return { ok: false, state: 'no_player', reason: `no vehicle has mIsPlayer set among the ${scored} in scoring` };
  const id = scoringIdAt(scoring, scoringIndex);
  const timed = telemetryVehicleCount(telemetry).count;
  const telemetryIndex = findTelemetryIndex(telemetry, timed, id);
  if (telemetryIndex < 0) {
    const at = vehicleScoringOffset(scoringIndex) + VEH_SCORING.driverName[0];
    const name = decodeCp1252(scoring, at, at + VEH_SCORING.driverName[1]);
    return { ok: false, state: 'no_player', reason: `the player (mID ${id}, "${name}") is in scoring but not among the ${timed} vehicles in telemetry` };
  }
  return { ok: true, id, scoringIndex, telemetryIndex };
}
