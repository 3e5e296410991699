import type { AcspEvent, LeaderboardEntry, SessionInfoEvent } from '../wire/types.js';

/** What a session looks like in the state: a SESSION_INFO without its message type. */
export type SessionState = Omit<SessionInfoEvent, 'type'>;

export interface CarState {
  carId: number;
  /** A driver is in this slot (NEW_CONNECTION seen, or CAR_INFO said so). */
  connected: boolean;
  /** The driver finished loading (CLIENT_LOADED). */
  loaded: boolean;
  driverName: string;
  driverGuid: string;
  /** Only CAR_INFO carries the team. */
  driverTeam: string;
  carModel: string;
  carSkin: string;
  /** Laps done this session, from the last leaderboard that listed the car. */
  laps: number;
  lastLapMs: number | null;
  /** The cuts of the last lap (0 = a valid lap; more = AC did not count it for Best). */
  lastLapCuts: number | null;
  /** Best lap without cuts this session. */
  bestLapMs: number | null;
}

export interface LeaderboardState {
  /** The session it belongs to (it is kept after that session ends: the final standings). */
  sessionIndex: number | null;
  sessionName: string | null;
  /** The car whose completed lap carried this leaderboard. */
  carId: number;
  lapTimeMs: number;
  cuts: number;
  gripLevel: number;
  entries: LeaderboardEntry[];
  /** When it arrived, ms since epoch. */
  at: number;
}

/** The JSON form published on `acudp/state`. */
export interface AcStateSnapshot {
  protocolVersion: number | null;
  /** The session running now. */
  session: SessionState | null;
  /** Every session seen (NEW_SESSION or SESSION_INFO), by index. */
  sessions: SessionState[];
  /** Every slot seen, by car id. */
  cars: CarState[];
  /** The leaderboard of the last completed lap. */
  leaderboard: LeaderboardState | null;
  /** The results file of the last END_SESSION. */
  lastResultsFile: string | null;
}

function strip(e: SessionInfoEvent): SessionState {
  const { type: _type, ...rest } = e;
  return rest;
}

/**
 * Tracks what the server told us: the current session, cars and drivers by car id, and the last
 * leaderboard. Pure: no I/O, fed one event at a time.
 */
export class AcState {
  protocolVersion: number | null = null;
  session: SessionState | null = null;
  readonly sessions = new Map<number, SessionState>();
  readonly cars = new Map<number, CarState>();
  leaderboard: LeaderboardState | null = null;
  lastResultsFile: string | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  private car(carId: number): CarState {
    let c = this.cars.get(carId);
    if (!c) {
      c = { carId, connected: false, loaded: false, driverName: '', driverGuid: '', driverTeam: '', carModel: '', carSkin: '', laps: 0, lastLapMs: null, lastLapCuts: null, bestLapMs: null };
      this.cars.set(carId, c);
    }
    return c;
  }

  /** Applies an event; returns whether anything in the published state changed (car updates never do). */
  apply(e: AcspEvent): boolean {
    switch (e.type) {
      case 'version':
        this.protocolVersion = e.protocolVersion;
        return true;
      case 'new_session':
      case 'session_info': {
        const s = strip(e);
        this.protocolVersion = e.protocolVersion;
        this.sessions.set(e.sessionIndex, s);
        if (e.type === 'new_session' || e.sessionIndex === e.currentSessionIndex) {
          this.session = s;
          if (e.type === 'new_session') {
            // A new (or restarted) session counts laps from zero.
            // The leaderboard stays: after a race it is the final standings, tagged with its session.
            for (const c of this.cars.values()) {
              c.laps = 0;
              c.lastLapMs = null;
              c.lastLapCuts = null;
              c.bestLapMs = null;
            }
          }
        }
        return true;
      }
      case 'new_connection': {
        const c = this.car(e.carId);
        if (c.driverGuid !== e.driverGuid) c.driverTeam = '';
        Object.assign(c, { connected: true, loaded: false, driverName: e.driverName, driverGuid: e.driverGuid, carModel: e.carModel, carSkin: e.carSkin, laps: 0, lastLapMs: null, lastLapCuts: null, bestLapMs: null });
        return true;
      }
      case 'connection_closed': {
        const c = this.car(e.carId);
        c.connected = false;
        c.loaded = false;
        return true;
      }
      case 'client_loaded': {
        const c = this.car(e.carId);
        c.loaded = true;
        c.connected = true;
        return true;
      }
      case 'car_info': {
        const c = this.car(e.carId);
        Object.assign(c, { connected: e.isConnected, driverName: e.driverName, driverGuid: e.driverGuid, driverTeam: e.driverTeam, carModel: e.carModel, carSkin: e.carSkin });
        if (!e.isConnected) c.loaded = false;
        return true;
      }
      case 'lap_completed': {
        const c = this.car(e.carId);
        c.lastLapMs = e.lapTimeMs;
        c.lastLapCuts = e.cuts;
        if (e.cuts === 0 && (c.bestLapMs === null || e.lapTimeMs < c.bestLapMs)) c.bestLapMs = e.lapTimeMs;
        for (const entry of e.leaderboard) {
          const other = this.cars.get(entry.carId);
          if (other) other.laps = entry.laps;
          else if (entry.carId === e.carId) c.laps = entry.laps;
        }
        this.leaderboard = {
          sessionIndex: this.session?.sessionIndex ?? null,
          sessionName: this.session?.name ?? null,
          carId: e.carId,
          lapTimeMs: e.lapTimeMs,
          cuts: e.cuts,
          gripLevel: e.gripLevel,
          entries: e.leaderboard,
          at: this.now(),
        };
        return true;
      }
      case 'end_session':
        this.lastResultsFile = e.resultsFile;
        return true;
      default:
        return false;
    }
  }

  snapshot(): AcStateSnapshot {
    return {
      protocolVersion: this.protocolVersion,
      session: this.session,
      sessions: [...this.sessions.values()].sort((a, b) => a.sessionIndex - b.sessionIndex),
      cars: [...this.cars.values()].sort((a, b) => a.carId - b.carId).map((c) => ({ ...c })),
      leaderboard: this.leaderboard,
      lastResultsFile: this.lastResultsFile,
    };
  }
}
