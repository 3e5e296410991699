import { SESSION_SECTIONS } from './server-cfg.js';
import type { IniDoc } from './ac-ini.js';

/**
 * The Kunos lobby (master server) HTTP interface, as acServer uses it:
 *   register: <base>/register?name=..&port=<UDP>&tcp_port=<TCP>&max_clients=..&track=..&cars=..&...
 *   ping:     <base>/ping?session=<type>&timeleft=<s>&port=<UDP>&clients=<n>&track=..&pickup=1
 * Success is HTTP 200 with a body that does not contain ERROR.
 */

export const DEFAULT_LOBBY_BASE = 'http://93.57.10.21/lobby.ashx';
/** The AC network protocol version acServer v1.15+ reports. */
export const AC_PROTOCOL = 202;

/**
 * A URL acServer logged, re-pointed at the configured lobby base. Only its path after
 * `lobby.ashx` and its query are kept, so a line in the log can never make us fetch another host.
 */
export function rebaseLobbyUrl(logged: string, base: string): string {
  const b = base.replace(/\/+$/, '');
  const at = logged.indexOf('lobby.ashx');
  if (at >= 0) return b + logged.slice(at + 'lobby.ashx'.length);
  const q = logged.indexOf('?');
  return `${b}/register${q >= 0 ? logged.slice(q) : ''}`;
}

export function isLobbySuccess(status: number, body: string): boolean {
  return status === 200 && !/ERROR/.test(body);
}

/**
 * The register URL built from server_cfg.ini, for when acServer has not logged its own (it has not
 * run yet, or its first attempt failed before the CALLING line).
 */
export function buildRegisterUrl(base: string, doc: IniDoc): string {
  const s = doc.get('SERVER') ?? new Map<string, string>();
  const g = (k: string, d = '0') => s.get(k) || d;
  const sessions: string[] = [];
  const durations: string[] = [];
  SESSION_SECTIONS.forEach((name, i) => {
    const sec = doc.get(name);
    if (!sec) return;
    sessions.push(String(i + 1));
    const laps = Number(sec.get('LAPS') || 0);
    const minutes = Number(sec.get('TIME') || 0);
    durations.push(String(name === 'RACE' && laps > 0 ? laps : minutes * 60));
  });
  const race = doc.get('RACE');
  const track = s.get('CONFIG_TRACK') ? `${g('TRACK', '')}-${s.get('CONFIG_TRACK')}` : g('TRACK', '');
  const q = new URLSearchParams({
    name: g('NAME', ''),
    port: g('UDP_PORT'),
    tcp_port: g('TCP_PORT'),
    max_clients: g('MAX_CLIENTS'),
    track,
    cars: g('CARS', '').split(';').filter(Boolean).join(','),
    timeofday: g('SUN_ANGLE'),
    sessions: sessions.join(','),
    durations: durations.join(','),
    password: s.get('PASSWORD') ? '1' : '0',
    version: String(AC_PROTOCOL),
    pickup: g('PICKUP_MODE_ENABLED'),
    autoclutch: g('AUTOCLUTCH_ALLOWED'),
    abs: g('ABS_ALLOWED'),
    tc: g('TC_ALLOWED'),
    stability: g('STABILITY_ALLOWED'),
    legal_tyres: g('LEGAL_TYRES', ''),
    fixed_setup: '0',
    timed: race && Number(race.get('TIME') || 0) > 0 ? '1' : '0',
    extra: g('RACE_EXTRA_LAP'),
    pit: g('RACE_PIT_WINDOW_START'),
    inverted: g('REVERSED_GRID_RACE_POSITIONS'),
  });
  return `${base.replace(/\/+$/, '')}/register?${q.toString()}`;
}
