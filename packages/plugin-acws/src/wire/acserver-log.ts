/**
 * The lines acServer prints on stdout that matter to us (AC server v1.15+, protocol 202), and a
 * parser that turns them into events. Pure: feed it lines, get events.
 *
 * Sample start of a run:
 *   Assetto Corsa Dedicated Server v1.15
 *   Protocol version: 202
 *   2022-07-22 10:42:32.8776464 +1000 AEST m=+0.007426800
 *   TRACK=rt_autodrom_most
 *   CARS=["ks_mazda_mx5_cup"]
 *   SENDING session name : Practice
 *   SENDING session index : 0
 *   SENDING session type : 1
 *   SENDING session time : 10
 *   SENDING session laps : 0
 *   NEW PICKUP CONNECTION from  192.168.1.1:50834      (two spaces)
 *   VERSION 202
 *   Mark Hannon
 *   REQUESTED CAR: bmw_m3_e30*
 *   Looking for available slot by name for GUID 76561198005431407 bmw_m3_e30
 *   Slot found at index 0
 *   DRIVER ACCEPTED FOR CAR 0
 *   DRIVER: Mark Hannon []
 *   Clean exit, driver disconnected:  Mark Hannon []  (two spaces)
 * Lobby: `CALLING <register url>`, `CONNECTED TO LOBBY`, `SENDING <ping url>`, and on failure
 * `ERROR,SERVER NOT REGISTERED WITH LOBBY - PLEASE RESTART` / `ERROR - RESTART YOUR SERVER TO REGISTER WITH THE LOBBY`.
 */

export const LOG_PATTERNS = {
  version: /^Assetto Corsa Dedicated Server (.*)$/,
  protocol: /^Protocol version: (\d+)/,
  timestamp: /^(\d{4}-\d{2}-\d{2} .*)$/,
  track: /^TRACK=(.*)$/,
  cars: /^CARS=(.*)$/,
  sessionName: /^SENDING session name : (.*)$/,
  sessionTime: /^SENDING session time : (.*)$/,
  sessionLaps: /^SENDING session laps : (.*)$/,
  pickup: /^NEW PICKUP CONNECTION from {2}(.*):(\d*)\s*$/,
  slotByGuid: /^Looking for available slot by name for GUID (\d*) (.*)$/,
  slotFound: /^Slot found at index (\d*)/,
  driver: /^DRIVER: (.*) \[.*$/,
  leaving: /^Clean exit, driver disconnected: {2}(.*) \[.*$/,
  lobbyCalling: /^CALLING (.*)$/,
  lobbyConnected: /^CONNECTED TO LOBBY\s*$/,
  lobbyPing: /^SENDING (.*lobby\.ashx\/ping.*)$/,
  // Both failure texts seen in logs; the original anchored at LOBBY$ and so missed the first.
  lobbyError: /^ERROR.*REGISTER.*LOBBY/,
} as const;

export interface DriverJoin {
  name: string;
  host: string;
  port: number;
  car: string;
  guid: string;
  slot: number;
}

export type LogEvent =
  | { kind: 'version'; version: string }
  | { kind: 'server'; version: string; timestamp: string; track: string; cars: string; protocol: string }
  | { kind: 'session'; type: string; time: number; laps: number }
  | { kind: 'driver-joining'; driver: DriverJoin }
  | { kind: 'driver-leaving'; name: string }
  | { kind: 'lobby-calling'; url: string }
  | { kind: 'lobby-connected' }
  | { kind: 'lobby-ping'; url: string }
  | { kind: 'lobby-error'; line: string };

function int(s: string | undefined): number {
  const n = Number.parseInt(s ?? '', 10);
  return Number.isFinite(n) ? n : 0;
}

/**
 * Stateful: a driver's fields arrive on consecutive lines and are gathered into one join. A new
 * pickup connection starts a fresh record, so a join interrupted by another is not mixed with it
 * (acServer handles one handshake at a time; the original shared one record for all).
 */
export class AcServerLogParser {
  private version = '';
  private protocol = '';
  private timestamp = '';
  private track = '';
  private session: { type: string; time: number } | undefined;
  private pending: Partial<DriverJoin> | undefined;

  feed(rawLine: string): LogEvent[] {
    const line = rawLine.replace(/\r$/, '');
    const P = LOG_PATTERNS;
    let m: RegExpExecArray | null;
    if ((m = P.version.exec(line))) {
      this.version = m[1]!.trim();
      return [{ kind: 'version', version: this.version }];
    }
    if ((m = P.protocol.exec(line))) {
      this.protocol = m[1]!;
      return [];
    }
    if ((m = P.timestamp.exec(line))) {
      this.timestamp = m[1]!;
      return [];
    }
    if ((m = P.track.exec(line))) {
      this.track = m[1]!.trim();
      return [];
    }
    if ((m = P.cars.exec(line))) {
      return [{ kind: 'server', version: this.version, timestamp: this.timestamp, track: this.track, cars: m[1]!.trim(), protocol: this.protocol }];
    }
    if ((m = P.sessionName.exec(line))) {
      const type = m[1]!.trim();
      this.session = { type: type === 'Qualification' ? 'Qualify' : type, time: 0 };
      return [];
    }
    if ((m = P.sessionTime.exec(line))) {
      if (this.session) this.session.time = int(m[1]);
      return [];
    }
    if ((m = P.sessionLaps.exec(line))) {
      if (!this.session) return [];
      const ev: LogEvent = { kind: 'session', type: this.session.type, time: this.session.time, laps: int(m[1]) };
      this.session = undefined;
      return [ev];
    }
    if ((m = P.pickup.exec(line))) {
      this.pending = { host: m[1]!, port: int(m[2]) };
      return [];
    }
    if ((m = P.slotByGuid.exec(line))) {
      if (this.pending) {
        this.pending.guid = m[1]!;
        this.pending.car = m[2]!.trim();
      }
      return [];
    }
    if ((m = P.slotFound.exec(line))) {
      if (this.pending) this.pending.slot = int(m[1]);
      return [];
    }
    if ((m = P.leaving.exec(line))) {
      return [{ kind: 'driver-leaving', name: m[1]! }];
    }
    if ((m = P.driver.exec(line))) {
      const p = this.pending;
      this.pending = undefined;
      if (!p) return [];
      return [{ kind: 'driver-joining', driver: { name: m[1]!, host: p.host ?? '', port: p.port ?? 0, car: p.car ?? '', guid: p.guid ?? '', slot: p.slot ?? 0 } }];
    }
    if ((m = P.lobbyCalling.exec(line))) return [{ kind: 'lobby-calling', url: m[1]!.trim() }];
    if (P.lobbyConnected.test(line)) return [{ kind: 'lobby-connected' }];
    if ((m = P.lobbyPing.exec(line))) return [{ kind: 'lobby-ping', url: m[1]!.trim() }];
    if (P.lobbyError.test(line)) return [{ kind: 'lobby-error', line }];
    return [];
  }
}
