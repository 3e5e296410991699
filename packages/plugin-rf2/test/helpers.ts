import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Host } from '@acgateway/core';
import type { LogRecord } from '@acgateway/core/testing';
import type { Rf2FileWriter, ScoringInput, TelemetryInput, TelemetryVehicleInput, VehicleScoringInput } from '@acgateway/plugin-rf2';

export function tempDir(): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acgw-rf2-'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls a condition (real time), failing with a message after `ms`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

export async function badInput(host: Host, kind: string): Promise<number> {
  const m = await host.metrics.badInput.get();
  return m.values.filter((v) => v.labels.plugin === 'rf2' && v.labels.kind === kind).reduce((a, v) => a + v.value, 0);
}

export async function metricSum(host: Host, name: string): Promise<number> {
  const metric = host.metrics.registry.getSingleMetric(name);
  if (!metric) return 0;
  const m = await metric.get();
  return m.values.reduce((a, v) => a + v.value, 0);
}

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
