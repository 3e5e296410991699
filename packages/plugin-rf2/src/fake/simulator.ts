/**
 * Rf2Simulator: stands in for rFactor 2 and its shared-memory plugin. It drives a field of cars
 * around a made-up circuit and writes rF2-layout Telemetry (at `hz`) and Scoring (5 Hz) files into a
 * folder, as the Linux bridges do (point the rf2 plugin's `dir` at the same folder), or, on Windows,
 * into the named mappings rF2 itself makes (`output: 'mappings'`).
 *
 * As in the game, telemetry lists vehicles in ascending mID and scoring in another order, so a
 * reader that carries an index from one buffer to the other gets the wrong car.
 */
import { Rf2FileWriter } from './file-writer.js';
import { Rf2MappingWriter } from './mapping-writer.js';
import type { Rf2Writer } from './writer.js';
import type { ScoringInput, TelemetryVehicleInput, VehicleScoringInput } from '../wire/encode.js';
import { MAX_VEHICLES } from '../wire/layout.js';
import { SimTrack, wrap } from './sim-track.js';

export interface Rf2SimulatorOptions {
  /** Folder to write the buffers into (a temp folder: never the real /dev/shm while rF2 runs). Required with `output: 'files'`. */
  dir?: string;
  /** `'files'` (default): files in `dir`, as the Linux bridges; `'mappings'`: Windows named mappings, as rF2 (Windows or Wine only). */
  output?: 'files' | 'mappings';
  /** With `output: 'mappings'`: the `Global\` names of a dedicated server. */
  global?: boolean;
  /** Telemetry writes per second (default 50, as the plugin). */
  hz?: number;
  /** Scoring writes per second (default 5, as the plugin). */
  scoringHz?: number;
  /** Cars on track, 1..128 (default 8). */
  vehicles?: number;
  /** The player's driver name (default "Player"). */
  playerName?: string;
  playerVehicle?: string;
  trackName?: string;
  /** Mapping-name suffix (a dedicated server's process id). */
  suffix?: string;
  /** Delete the files on stop (default false: they are zero-filled, as the plugin leaves them). */
  removeOnStop?: boolean;
}

interface Car {
  id: number;
  driverName: string;
  vehicleName: string;
  vehicleClass: string;
  isPlayer: boolean;
  /** Fraction of the ideal speed this driver reaches. */
  pace: number;
  distance: number;
  laps: number;
  lapStart: number;
  lastLap: number;
  bestLap: number;
  fuel: number;
  speed: number;
}

const DRIVERS = ['Jürgen Müller', 'Tomáš Novák', 'Zoë Dubois', 'François Lefèvre', 'Frédéric Œuvray', 'Søren Ødegaard', 'José Martínez', 'Ana Šimun', 'Niamh O’Brien', 'Björn Åström'];
const CARS = ['Oreca 07 Gibson', 'Porsche 911 GT3 R', 'BMW M4 GT3', 'Ferrari 488 GTE Evo', 'Aston Martin Vantage GTE', 'McLaren 720S GT3'];
const GEAR_TOP = [0, 24, 36, 47, 58, 70, 86]; // m/s at the rev limit in each gear
const MAX_RPM = 9000;
const FUEL_CAPACITY = 75;
const FUEL_PER_M = 0.0011; // L/m at full throttle

export interface SimulatorCarState {
  id: number;
  driverName: string;
  isPlayer: boolean;
  place: number;
  laps: number;
  speedKmh: number;
}

export class Rf2Simulator {
  readonly track = new SimTrack();
  readonly writer: Rf2Writer;
  /** In ascending mID, the order telemetry lists them in. */
  private readonly cars: Car[];
  private readonly hz: number;
  private readonly scoringHz: number;
  private timer: NodeJS.Timeout | undefined;
  private elapsed = 0;
  private lastStep = 0;
  private lastScoring = -Infinity;

  constructor(private readonly options: Rf2SimulatorOptions) {
    const output = options?.output ?? 'files';
    if (output === 'files' && !options?.dir) throw new TypeError('Rf2Simulator: "dir" (the folder to write the buffers into) is required');
    this.hz = options.hz ?? 50;
    this.scoringHz = options.scoringHz ?? 5;
    const n = Math.max(1, Math.min(MAX_VEHICLES, Math.floor(options.vehicles ?? 8)));
    this.writer =
      output === 'mappings'
        ? new Rf2MappingWriter({ suffix: options.suffix, global: options.global })
        : new Rf2FileWriter({ dir: options.dir!, suffix: options.suffix });
    // The player is neither first nor last, and mIDs have gaps, as in a session people joined and left.
    const playerSlot = Math.min(n - 1, 2);
    this.cars = Array.from({ length: n }, (_, i) => {
      const isPlayer = i === playerSlot;
      return {
        id: 3 + i * 2,
        driverName: isPlayer ? (options.playerName ?? 'Player') : `${DRIVERS[i % DRIVERS.length]}${i >= DRIVERS.length ? ` ${Math.floor(i / DRIVERS.length) + 1}` : ''}`,
        vehicleName: isPlayer && options.playerVehicle ? options.playerVehicle : `${CARS[i % CARS.length]} #${10 + i}`,
        vehicleClass: i % CARS.length === 0 ? 'LMP2' : 'GT3',
        isPlayer,
        pace: 0.955 + ((i * 37) % 41) / 1000,
        // A rolling start: cars spread over the first 300 m.
        distance: (n - i) * Math.min(20, 300 / n),
        laps: 0,
        lapStart: 0,
        lastLap: -1,
        bestLap: -1,
        fuel: 60 - i,
        speed: 0,
      };
    });
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Where the buffers are written. */
  get paths(): { telemetry: string; scoring: string } {
    return { telemetry: this.writer.paths.Telemetry, scoring: this.writer.paths.Scoring };
  }

  start(): void {
    if (this.timer) return;
    if (!this.writer.isOpen) this.writer.open();
    this.lastStep = performance.now();
    this.writeFrame(true);
    this.timer = setInterval(() => {
      const now = performance.now();
      this.advance(Math.min(0.25, (now - this.lastStep) / 1000));
      this.lastStep = now;
      this.writeFrame(false);
    }, 1000 / this.hz);
  }

  /** Stops writing; zero-fills the buffers as the plugin does at shutdown (or deletes them with removeOnStop). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.writer.isOpen) return;
    if (this.options.removeOnStop) this.writer.remove();
    else {
      this.writer.clear();
      this.writer.close();
    }
  }

  /** Moves every car on by dt seconds (public: tests and benchmarks step it without timers). */
  advance(dt: number): void {
    this.elapsed += dt;
    for (const car of this.cars) {
      const target = this.track.speedAt(car.distance) * car.pace;
      car.speed = target;
      const before = wrap(car.distance, this.track.length);
      car.distance += car.speed * dt;
      car.fuel = Math.max(0, car.fuel - car.speed * dt * FUEL_PER_M * 0.7);
      if (wrap(car.distance, this.track.length) < before) {
        car.laps++;
        const lap = this.elapsed - car.lapStart;
        if (car.laps > 1) {
          car.lastLap = lap;
          if (car.bestLap < 0 || lap < car.bestLap) car.bestLap = lap;
        }
        car.lapStart = this.elapsed;
        if (car.fuel < 5) car.fuel = FUEL_CAPACITY * 0.8; // a pit stop, abridged
      }
    }
  }

  /** Writes the current state now (telemetry, and scoring when due); `start()` does this at `hz`. */
  write(): void {
    if (!this.writer.isOpen) this.writer.open();
    this.writeFrame(false);
  }

  /** Cars by place, for a demo's console. */
  state(): SimulatorCarState[] {
    return this.byPlace().map((c, i) => ({ id: c.id, driverName: c.driverName, isPlayer: c.isPlayer, place: i + 1, laps: c.laps, speedKmh: Math.round(c.speed * 3.6) }));
  }

  private byPlace(): Car[] {
    return [...this.cars].sort((a, b) => b.distance - a.distance);
  }

  private writeFrame(force: boolean): void {
    const trackName = this.options.trackName ?? 'Sim Ring';
    const vehicles: TelemetryVehicleInput[] = this.cars.map((c) => this.telemetryOf(c, trackName));
    this.writer.writeTelemetry({ vehicles });
    const now = this.elapsed * 1000;
    if (force || now - this.lastScoring >= 1000 / this.scoringHz) {
      this.lastScoring = now;
      this.writer.writeScoring(this.scoringOf(trackName));
    }
  }

  private telemetryOf(c: Car, trackName: string): TelemetryVehicleInput {
    const p = this.track.at(c.distance);
    const accel = this.track.accelAt(c.distance) * c.pace;
    let throttle = 0.35 + 0.1 * Math.sin(this.elapsed * 3 + c.id);
    let brake = 0;
    if (accel > 0.5) throttle = Math.min(1, 0.65 + accel / 10);
    else if (accel < -1) {
      throttle = 0;
      brake = Math.min(1, -accel / 28);
    }
    let gear = GEAR_TOP.findIndex((top, g) => g > 0 && c.speed <= top);
    if (gear < 0) gear = GEAR_TOP.length - 1;
    const rpm = Math.max(3800, Math.min(MAX_RPM, (MAX_RPM * c.speed) / GEAR_TOP[gear]!));
    const steering = Math.max(-1, Math.min(1, p.curvature * 25));
    return {
      id: c.id,
      lapNumber: c.laps + 1,
      vehicleName: c.vehicleName,
      trackName,
      deltaTimeS: 1 / this.hz,
      elapsedTimeS: this.elapsed,
      lapStartS: c.lapStart,
      positionM: { x: p.x, y: 0, z: p.z },
      localVelocityMs: { x: 0, y: 0, z: -c.speed },
      gear,
      rpm,
      maxRpm: MAX_RPM,
      // The game's filtered throttle is what traction control lets through; the pedal is pressed a bit further.
      throttle,
      unfilteredThrottle: Math.min(1, throttle * (p.curvature > 0 ? 1.08 : 1)),
      brake,
      unfilteredBrake: brake,
      steering,
      clutch: 0,
      fuelL: c.fuel,
      fuelCapacityL: FUEL_CAPACITY,
      maxGears: GEAR_TOP.length - 1,
    };
  }

  private scoringOf(trackName: string): ScoringInput {
    const order = this.byPlace();
    const leader = order[0]!;
    const place = new Map(order.map((c, i) => [c.id, i + 1]));
    const third = this.track.length / 3;
    // Scoring lists the cars in ascending mID rotated by one: no car has the same index as in telemetry.
    const vehicles: VehicleScoringInput[] = [...this.cars.slice(1), ...this.cars.slice(0, 1)].map((c) => {
      const lapDist = wrap(c.distance, this.track.length);
      return {
        id: c.id,
        driverName: c.driverName,
        vehicleName: c.vehicleName,
        vehicleClass: c.vehicleClass,
        place: place.get(c.id)!,
        laps: c.laps,
        sector: lapDist < third ? 1 : lapDist < 2 * third ? 2 : 3,
        lapDistanceM: lapDist,
        bestLapS: c.bestLap,
        lastLapS: c.lastLap,
        inPits: false,
        isPlayer: c.isPlayer,
        control: c.isPlayer ? 0 : 1,
        lapStartS: c.lapStart,
        timeBehindLeaderS: c.speed > 0 ? (leader.distance - c.distance) / c.speed : 0,
        localVelocityMs: { x: 0, y: 0, z: -c.speed },
      };
    });
    return {
      trackName,
      session: 10,
      currentTimeS: this.elapsed,
      endTimeS: 3600,
      maxLaps: 30,
      lapLengthM: this.track.length,
      gamePhase: 5,
      inRealtime: true,
      playerName: this.options.playerName ?? 'Player',
      vehicles,
    };
  }
}
