import type { RawSessionInfo } from '../wire/raw.js';
import type { FakeRaceControlServer } from './server.js';

export interface LiveRaceOptions {
  /** Drivers on track (default 8, at most 24). */
  drivers?: number;
  /** Appended to every third driver's name (default "-YORK"). */
  teamTag?: string;
  /** Simulated lap time, ms (default 92 000). */
  lapMs?: number;
  /** Simulated time per real time (default 3: a lap about every 30 s). */
  timeScale?: number;
  /** Real ms between car updates (default: the race's realtime interval, 500). */
  updateIntervalMs?: number;
  /** Drivers leave and join now and then (default true). */
  churn?: boolean;
  /** Seed of the random choices, for a repeatable run. */
  seed?: number;
}

const NAMES = [
  'Sam Carter', 'Alex Jones', 'Priya Patel', 'Tom Hughes', 'Mia Novak', 'Luca Rossi', 'Ella Brooks', 'Jonas Berg',
  'Aisha Khan', 'Owen Price', 'Chloe Martin', 'Ravi Shah', 'Lena Vogel', 'Dan Walsh', 'Ines Costa', 'Kai Tanaka',
  'Grace Lee', 'Marek Dvorak', 'Zoe Evans', 'Finn Murphy', 'Sara Lind', 'Ben Okafor', 'Nina Petrova', 'Hugo Blanc',
];

const SESSIONS: Array<Partial<RawSessionInfo>> = [
  { Name: 'Practice', Type: 1, Time: 10, Laps: 0 },
  { Name: 'Qualify', Type: 2, Time: 10, Laps: 0 },
  { Name: 'Race', Type: 3, Time: 0, Laps: 12 },
];

interface Car {
  guid: string;
  pace: number;
  spline: number;
  lapElapsedMs: number;
  loaded: boolean;
}

/** mulberry32: small, seedable, good enough for a demo. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Keeps a fake race going: cars circle an oval sending CarUpdates, complete laps (a few with cuts),
 * chat, collide, pit (v2), leave and join, and the sessions cycle practice, qualifying, race.
 */
export class LiveRace {
  private readonly random: () => number;
  private readonly cars = new Map<string, Car>();
  private timer: NodeJS.Timeout | undefined;
  private readonly o: Required<Omit<LiveRaceOptions, 'seed'>>;
  private sessionIndex = 0;
  private sessionSimMs = 0;
  /** Ticks run since start. */
  ticks = 0;

  constructor(private readonly server: FakeRaceControlServer, options: LiveRaceOptions = {}) {
    this.random = prng(options.seed ?? Date.now());
    this.o = {
      drivers: Math.min(24, Math.max(1, options.drivers ?? 8)),
      teamTag: options.teamTag ?? '-YORK',
      lapMs: options.lapMs ?? 92_000,
      timeScale: options.timeScale ?? 3,
      updateIntervalMs: options.updateIntervalMs ?? (server.race.realtimeIntervalMs > 0 ? server.race.realtimeIntervalMs : 500),
      churn: options.churn ?? true,
    };
  }

  start(): void {
    for (const guid of this.server.race.connectedGuids()) this.track(guid, true);
    while (this.cars.size < this.o.drivers) this.join();
    this.timer = setInterval(() => this.tick(), this.o.updateIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private join(): void {
    const taken = new Set(this.server.race.connectedGuids());
    const free = NAMES.map((name, i) => ({ name, i })).filter(({ i }) => !taken.has(guidOf(i)));
    if (free.length === 0) return;
    const pick = free[Math.floor(this.random() * free.length)]!;
    const name = pick.i % 3 === 0 && this.o.teamTag ? `${pick.name}${this.o.teamTag}` : pick.name;
    this.server.connectDriver({ guid: guidOf(pick.i), name, carSkin: `${String(pick.i).padStart(2, '0')}_livery`, tyres: this.server.race.v2 ? 'M' : undefined });
    this.track(guidOf(pick.i), false);
  }

  private track(guid: string, loaded: boolean): void {
    const pace = 0.97 + this.random() * 0.07;
    const spline = this.random();
    // Already part-way round: the first lap time counts from a notional start, so it looks like a full lap.
    this.cars.set(guid, { guid, pace, spline, lapElapsedMs: spline * this.o.lapMs * pace, loaded });
  }

  private tick(): void {
    this.ticks++;
    const dtSim = this.o.updateIntervalMs * this.o.timeScale;
    const chance = (perRealMs: number) => this.random() < this.o.updateIntervalMs / perRealMs;
    for (const car of [...this.cars.values()]) {
      if (!car.loaded) {
        car.loaded = true;
        this.server.clientLoaded(car.guid);
        continue;
      }
      const lapTarget = this.o.lapMs * car.pace;
      car.lapElapsedMs += dtSim;
      car.spline += dtSim / lapTarget;
      if (car.spline >= 1) {
        car.spline -= 1;
        const lapMs = Math.round(car.lapElapsedMs * (0.995 + this.random() * 0.01));
        car.lapElapsedMs = car.spline * lapTarget;
        this.server.completeLap(car.guid, lapMs, { cuts: this.random() < 0.05 ? 1 : 0 });
        if (this.server.race.v2 && this.random() < 0.1) this.server.race.setPits(car.guid, true);
      }
      const angle = car.spline * 2 * Math.PI;
      const w = (2 * Math.PI) / (lapTarget / 1000);
      const [a, b] = [950, 600]; // an oval of about 4.9 km: MX-5 speeds at a 90 s lap
      const vx = -a * Math.sin(angle) * w;
      const vz = b * Math.cos(angle) * w;
      const speed = Math.hypot(vx, vz);
      this.server.carUpdate(car.guid, {
        pos: { X: a * Math.cos(angle), Y: 2, Z: b * Math.sin(angle) },
        velocity: { X: vx, Y: 0, Z: vz },
        gear: Math.min(7, 2 + Math.floor(speed / 12)),
        rpm: Math.round(3000 + ((speed % 12) / 12) * 4000),
        splinePos: car.spline,
      });
    }
    const guids = [...this.cars.keys()];
    if (guids.length && chance(40_000)) {
      const lines = ['gg', 'blue flag please', 'sorry T3', 'nice move', 'pit this lap', 'lag?'];
      this.server.chat(guids[Math.floor(this.random() * guids.length)]!, lines[Math.floor(this.random() * lines.length)]!);
    }
    if (guids.length && chance(60_000)) {
      const g = guids[Math.floor(this.random() * guids.length)]!;
      const other = guids.length > 1 && this.random() < 0.5 ? guids.find((x) => x !== g)! : null;
      this.server.collision(g, other, 3 + this.random() * 12);
    }
    if (this.o.churn && guids.length > 1 && chance(120_000)) {
      const g = guids[Math.floor(this.random() * guids.length)]!;
      this.cars.delete(g);
      this.server.disconnectDriver(g);
    }
    if (this.cars.size < this.o.drivers && chance(15_000)) this.join();
    this.advanceSession(dtSim);
  }

  private advanceSession(dtSim: number): void {
    const s = this.server.race.session;
    this.sessionSimMs += dtSim;
    const leaderLaps = Math.max(0, ...this.server.race.connectedGuids().map((g) => this.server.race.driver(g)?.TotalNumLaps ?? 0));
    const over = s.Time > 0 ? this.sessionSimMs >= s.Time * 60_000 : s.Laps > 0 && leaderLaps >= s.Laps;
    if (!over) return;
    this.sessionIndex = (this.sessionIndex + 1) % SESSIONS.length;
    this.sessionSimMs = 0;
    this.server.newSession({ ...SESSIONS[this.sessionIndex], SessionIndex: this.sessionIndex, CurrentSessionIndex: this.sessionIndex, SessionCount: SESSIONS.length });
    for (const car of this.cars.values()) car.lapElapsedMs = car.spline * this.o.lapMs * car.pace;
  }
}

function guidOf(i: number): string {
  return `765611980000${String(10_000 + i).padStart(5, '0')}`;
}
