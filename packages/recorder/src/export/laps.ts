import type { RecordedMessage } from '../format.js';
import type { ColumnKind, Row } from './table.js';

/** The lap table's columns and types, in order. */
export const LAP_COLUMNS: Array<[string, ColumnKind]> = [
  ['t_ms', 'number'],
  ['source', 'string'],
  ['server', 'string'],
  ['session', 'string'],
  ['driver', 'string'],
  ['guid', 'string'],
  ['car', 'string'],
  ['car_id', 'int'],
  ['lap', 'int'],
  ['lap_time_ms', 'int'],
  ['lap_time', 'string'],
  ['sectors', 'string'],
  ['cuts', 'int'],
  ['position', 'int'],
];

/** 91234 -> `1:31.234`. */
export function formatLapTime(ms: number): string {
  const m = Math.floor(ms / 60000);
  const s = ((ms % 60000) / 1000).toFixed(3).padStart(6, '0');
  return `${m}:${s}`;
}

interface Driver {
  name: string;
  guid: string;
  car: string;
}

/**
 * Builds the lap table from `acudp/lap_completed` (the driver and car from the connection events,
 * `car_info` and `acudp/state`; lap number and position from the leaderboard that comes with each
 * lap) and from `emperor/<server>/event/lap_completed` (which carries them itself). Neither source
 * publishes sector times: `sectors` stays empty for them.
 */
export class LapTable {
  readonly rows: Row[] = [];
  private readonly acCars = new Map<number, Driver>();
  private acSession = '';
  private readonly emperorSession = new Map<string, string>();

  add(m: RecordedMessage, data: unknown): void {
    const d = data as Record<string, unknown>;
    if (!d || typeof d !== 'object') return;
    if (m.topic.startsWith('acudp/')) this.acudp(m, d);
    else if (m.topic.startsWith('emperor/')) this.emperor(m, d);
  }

  private acudp(m: RecordedMessage, d: Record<string, unknown>): void {
    const event = m.topic.slice('acudp/'.length);
    if (event === 'new_session') this.acSession = String(d.name ?? '');
    else if (event === 'new_connection' || event === 'car_info') {
      if (typeof d.carId === 'number') this.acCars.set(d.carId, { name: String(d.driverName ?? ''), guid: String(d.driverGuid ?? ''), car: String(d.carModel ?? '') });
    } else if (event === 'state') {
      const cars = (Array.isArray(d.cars) ? d.cars : []) as Array<Record<string, unknown>>;
      for (const c of cars) {
        if (typeof c?.carId === 'number' && c.driverName) this.acCars.set(c.carId, { name: String(c.driverName), guid: String(c.driverGuid ?? ''), car: String(c.carModel ?? '') });
      }
      const session = (d.session as Record<string, unknown> | null | undefined)?.name;
      if (typeof session === 'string' && session) this.acSession = session;
    } else if (event === 'lap_completed' && typeof d.carId === 'number') {
      const board = (Array.isArray(d.leaderboard) ? d.leaderboard : []) as Array<{ carId: number; laps: number }>;
      const at = board.findIndex((e) => e.carId === d.carId);
      const who = this.acCars.get(d.carId);
      const ms = Number(d.lapTimeMs);
      this.rows.push({
        t_ms: Math.round(m.t * 1000) / 1000,
        source: 'acudp',
        server: '',
        session: this.acSession,
        driver: who?.name ?? '',
        guid: who?.guid ?? '',
        car: who?.car ?? '',
        car_id: d.carId,
        lap: at >= 0 ? board[at]!.laps : null,
        lap_time_ms: Number.isFinite(ms) ? ms : null,
        lap_time: Number.isFinite(ms) ? formatLapTime(ms) : '',
        sectors: '',
        cuts: typeof d.cuts === 'number' ? d.cuts : null,
        position: at >= 0 ? at + 1 : null,
      });
    }
  }

  private emperor(m: RecordedMessage, d: Record<string, unknown>): void {
    const parts = m.topic.split('/');
    const server = parts[1] ?? '';
    const event = parts.slice(2).join('/');
    if (event === 'event/new_session') this.emperorSession.set(server, String(d.name ?? d.type ?? ''));
    else if (event === 'state') {
      const name = (d.session as Record<string, unknown> | null | undefined)?.name;
      if (typeof name === 'string' && name) this.emperorSession.set(server, name);
    }
    else if (event === 'event/lap_completed') {
      const ms = typeof d.lapMs === 'number' ? d.lapMs : null;
      this.rows.push({
        t_ms: Math.round(m.t * 1000) / 1000,
        source: 'emperor',
        server,
        session: this.emperorSession.get(server) ?? '',
        driver: String(d.name ?? ''),
        guid: String(d.guid ?? ''),
        car: String(d.carModel ?? ''),
        car_id: typeof d.carId === 'number' ? d.carId : null,
        lap: typeof d.laps === 'number' ? d.laps : null,
        lap_time_ms: ms,
        lap_time: ms !== null ? formatLapTime(ms) : '',
        sectors: '',
        cuts: null,
        position: typeof d.position === 'number' ? d.position : null,
      });
    }
  }
}
