import { z } from 'zod';
import type { Entry } from './entry-list.js';

/**
 * The race results acServer writes to `results/` at the end of a session (stock AC format). Only
 * the fields the grid needs are checked; the rest is ignored.
 */
const driverSchema = z.object({ Name: z.string().default(''), Team: z.string().default(''), Guid: z.string().default('') }).loose();

const carSchema = z
  .object({
    CarId: z.number().int().nonnegative(),
    Driver: driverSchema.default({ Name: '', Team: '', Guid: '' }),
    Model: z.string().default(''),
    Skin: z.string().default(''),
    BallastKG: z.number().default(0),
    Restrictor: z.number().default(0),
  })
  .loose();

const resultSchema = z
  .object({
    DriverName: z.string().default(''),
    DriverGuid: z.string().default(''),
    CarId: z.number().int().nonnegative(),
    CarModel: z.string().default(''),
    BestLap: z.number().default(0),
    /** ms; 0 when the car did not finish or did not take part. */
    TotalTime: z.number().default(0),
    BallastKG: z.number().optional(),
    Restrictor: z.number().optional(),
  })
  .loose();

export const raceResultSchema = z
  .object({
    TrackName: z.string(),
    TrackConfig: z.string().default(''),
    Type: z.string().default('RACE'),
    Cars: z.array(carSchema),
    Result: z.array(resultSchema),
  })
  .loose();

export type RaceResult = z.output<typeof raceResultSchema>;

export class ResultsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResultsError';
  }
}

export function parseRaceResult(text: string): RaceResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ResultsError(`invalid JSON: ${(err as Error).message}`);
  }
  const parsed = raceResultSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new ResultsError(`not an AC results file: ${where || '(top level)'}: ${issue.message}`);
  }
  if (parsed.data.Type.toUpperCase() !== 'RACE') throw new ResultsError(`Type is ${JSON.stringify(parsed.data.Type)}, not RACE`);
  return parsed.data;
}

const RESULT_NAME = /^(\d{4})_(\d{1,2})_(\d{1,2})_(\d{1,2})_(\d{1,2})_RACE\.json$/i;

/** The session end time encoded in a results file name (`2019_2_15_21_16_RACE.json`), local time. */
export function timeOfResultName(name: string): number | undefined {
  const m = RESULT_NAME.exec(name);
  if (!m) return undefined;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi).getTime();
}

export function isRaceResultName(name: string): boolean {
  return /_RACE\.json$/i.test(name);
}

/** One slot of a new grid: the entry-list keys it will be written with, and where it came from. */
export interface GridSlot {
  fromSlot: number;
  finished: boolean;
  keys: Map<string, string>;
}

export type GridMode = 'finish' | 'reverse';

export interface GridCheck {
  /** TRACK of server_cfg.ini; a results file of another track is refused. */
  track: string;
  configTrack: string;
}

/**
 * The grid from a race result: finishers (TotalTime > 0) in finishing order, or reversed; then the
 * cars that did not finish, in result order; then entry-list slots the results do not mention.
 * Each slot takes the car, skin and driver from the results (a pickup driver keeps the slot he
 * raced in) and every other key from the entry list. Nothing is accumulated between calls.
 */
export function buildGrid(result: RaceResult, entries: readonly Entry[], mode: GridMode, check: GridCheck): GridSlot[] {
  if (check.track && result.TrackName !== check.track) {
    throw new ResultsError(`TrackName "${result.TrackName}" does not match TRACK "${check.track}" of server_cfg.ini`);
  }
  if (check.track && check.configTrack && result.TrackConfig && result.TrackConfig !== check.configTrack) {
    throw new ResultsError(`TrackConfig "${result.TrackConfig}" does not match CONFIG_TRACK "${check.configTrack}" of server_cfg.ini`);
  }
  const bySlot = new Map(entries.map((e) => [e.slot, e]));
  const cars = new Map(result.Cars.map((c) => [c.CarId, c]));
  const used = new Set<number>();
  const finishers: GridSlot[] = [];
  const missing: GridSlot[] = [];
  const pick = (...values: Array<string | undefined>) => values.find((v) => v !== undefined && v !== '') ?? '';

  const slotFromResults = (carId: number, row?: RaceResult['Result'][number]): Map<string, string> => {
    const entry = bySlot.get(carId);
    const car = cars.get(carId);
    const keys = new Map(entry?.keys ?? []);
    keys.set('MODEL', pick(car?.Model, row?.CarModel, entry?.keys.get('MODEL')));
    keys.set('SKIN', pick(car?.Skin, entry?.keys.get('SKIN')));
    keys.set('SPECTATOR_MODE', pick(entry?.keys.get('SPECTATOR_MODE'), '0'));
    keys.set('DRIVERNAME', pick(row?.DriverName, car?.Driver.Name, entry?.keys.get('DRIVERNAME')));
    keys.set('TEAM', pick(car?.Driver.Team, entry?.keys.get('TEAM')));
    keys.set('GUID', pick(row?.DriverGuid, car?.Driver.Guid, entry?.keys.get('GUID')));
    keys.set('BALLAST', String(row?.BallastKG ?? car?.BallastKG ?? (entry?.keys.get('BALLAST') || 0)));
    keys.set('RESTRICTOR', String(row?.Restrictor ?? car?.Restrictor ?? (entry?.keys.get('RESTRICTOR') || 0)));
    return keys;
  };

  for (const row of result.Result) {
    if (used.has(row.CarId)) continue;
    used.add(row.CarId);
    const slot = { fromSlot: row.CarId, finished: row.TotalTime > 0, keys: slotFromResults(row.CarId, row) };
    (slot.finished ? finishers : missing).push(slot);
  }
  for (const car of result.Cars) {
    if (used.has(car.CarId)) continue;
    used.add(car.CarId);
    missing.push({ fromSlot: car.CarId, finished: false, keys: slotFromResults(car.CarId) });
  }
  for (const e of entries) {
    if (used.has(e.slot)) continue;
    used.add(e.slot);
    missing.push({ fromSlot: e.slot, finished: false, keys: new Map(e.keys) });
  }
  if (mode === 'reverse') finishers.reverse();
  return [...finishers, ...missing];
}

/** How a slot is shown in `grid order`: the driver's name, or the car of an open slot. */
export function slotLabel(keys: Map<string, string>): string {
  const name = keys.get('DRIVERNAME');
  return name ? name : `(open slot: ${keys.get('MODEL') ?? '?'})`;
}
