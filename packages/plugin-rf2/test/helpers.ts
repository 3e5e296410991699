import type { LogRecord } from '@acgateway/testing';
import type { Rf2FileWriter, ScoringInput, TelemetryInput, TelemetryVehicleInput, VehicleScoringInput } from '@acgateway/plugin-rf2';

export function warnings(logs: LogRecord[], includes: string): LogRecord[] {
  return logs.filter((l) => l.level === 40 && typeof l.msg === 'string' && l.msg.includes(includes));
}

/** A small field: three cars, the player in the middle, scoring and telemetry in different orders. */
export function field(overrides: { player?: Partial<TelemetryVehicleInput> } = {}): { telemetry: TelemetryInput; scoring: ScoringInput } {
  const tel: TelemetryVehicleInput[] = [
    { id: 2, vehicleName: 'Oreca 07 #22', trackName: 'Spa', gear: 6, throttle: 1, brake: 0, unfilteredThrottle: 1, localVelocityMs: { x: 0, y: 0, z: -80 } },
    { id: 5, vehicleName: 'Porsche 911 GT3 R #5', trackName: 'Spa', gear: 3, throttle: 0.42, brake: 0.25, unfilteredThrottle: 0.5, unfilteredBrake: 0.3, rpm: 7000, maxRpm: 9000, fuelL: 30, fuelCapacityL: 100, localVelocityMs: { x: 3, y: 0, z: -4 }, lapNumber: 4, ...overrides.player },
    { id: 9, vehicleName: 'BMW M4 GT3 #9', trackName: 'Spa', gear: 4, throttle: 0.8 },
  ];
  const sco: VehicleScoringInput[] = [
    { id: 9, driverName: 'Ana', vehicleName: 'BMW M4 GT3 #9', place: 1, laps: 3 },
    { id: 2, driverName: 'Bo', vehicleName: 'Oreca 07 #22', place: 3, laps: 3 },
    { id: 5, driverName: 'Tomáš Novák', vehicleName: 'Porsche 911 GT3 R #5', place: 2, laps: 3, isPlayer: true, control: 0 },
  ];
  return {
    telemetry: { vehicles: tel },
    scoring: { trackName: 'Spa', session: 10, gamePhase: 5, inRealtime: true, playerName: 'Tomáš Novák', lapLengthM: 7004, endTimeS: 3600, currentTimeS: 120, vehicles: sco },
  };
}

/** Creates the files already holding a field, as a running game would present them. */
export function openWith(writer: Rf2FileWriter, f = field()): Rf2FileWriter {
  writer.images.writeScoring(f.scoring);
  writer.images.writeTelemetry(f.telemetry);
  return writer.open();
}
