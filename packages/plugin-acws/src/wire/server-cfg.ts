import { cloneDoc, type IniDoc } from './ac-ini.js';

/** The session sections of server_cfg.ini, in the order acServer runs them. */
export const SESSION_SECTIONS = ['PRACTICE', 'QUALIFY', 'RACE'] as const;
export type SessionSection = (typeof SESSION_SECTIONS)[number];

const DEFAULT_NAME: Record<SessionSection, string> = { PRACTICE: 'Practice', QUALIFY: 'Qualify', RACE: 'Race' };

/**
 * One session as the original's `server sessions` shows it: laps and minutes are the ini strings
 * (`"10"`), or the number 0 when the section has no such key (the original's fallback).
 */
export interface SessionView {
  type: string;
  laps: string | 0;
  time: string | 0;
  msg: string;
  active: boolean;
}

/** What the verbs need from [SERVER]; values are the ini strings. */
export interface ServerCfgView {
  name: string;
  cars: string;
  track: string;
  config_track: string;
  http_port: string;
  tcp_port: string;
  udp_port: string;
  max_clients: string;
  /** Keyed by each session's NAME value, as the original does. */
  sessions: Record<string, SessionView>;
}

export class ServerCfgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerCfgError';
  }
}

export function viewServerCfg(doc: IniDoc, file = 'cfg/server_cfg.ini'): ServerCfgView {
  const server = doc.get('SERVER');
  if (!server) throw new ServerCfgError(`${file} has no [SERVER] section`);
  const sessions: Record<string, SessionView> = {};
  for (const name of SESSION_SECTIONS) {
    const s = doc.get(name);
    if (!s) continue;
    const type = s.get('NAME') || DEFAULT_NAME[name];
    sessions[type] = { type, laps: s.get('LAPS') ?? 0, time: s.get('TIME') ?? 0, msg: '', active: false };
  }
  const get = (k: string) => server.get(k) ?? '';
  return {
    name: get('NAME'),
    cars: get('CARS'),
    track: get('TRACK'),
    config_track: get('CONFIG_TRACK'),
    http_port: get('HTTP_PORT'),
    tcp_port: get('TCP_PORT'),
    udp_port: get('UDP_PORT'),
    max_clients: get('MAX_CLIENTS'),
    sessions,
  };
}

/** Ports acServer will bind, for the "already in use" check before a start. */
export function portsOf(view: ServerCfgView): { http?: number; tcp?: number; udp?: number } {
  const port = (s: string) => {
    const n = Number(s);
    return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
  };
  return { http: port(view.http_port), tcp: port(view.tcp_port), udp: port(view.udp_port) };
}

export type SessionOption = 'enable' | 'disable' | 'laps' | 'time';

export interface SessionEdit {
  session: SessionSection;
  option: SessionOption;
  value?: number;
}

/**
 * Applies one `server session` edit to a copy of the document and says what it did. Section names
 * stay upper case (the original capitalised them and so never found the section it meant to edit).
 */
export function applySessionEdit(doc: IniDoc, edit: SessionEdit): { doc: IniDoc; msg: string } {
  const next = cloneDoc(doc);
  const { session, option } = edit;
  const existing = next.get(session);
  switch (option) {
    case 'enable': {
      if (existing) return { doc: next, msg: `${session} already enabled` };
      const s = new Map<string, string>([['NAME', DEFAULT_NAME[session]]]);
      if (session === 'RACE') {
        s.set('LAPS', '10');
        s.set('WAIT_TIME', '60');
      } else {
        s.set('TIME', '10');
      }
      s.set('IS_OPEN', '1');
      next.set(session, s);
      return { doc: next, msg: `Enabled ${session}` };
    }
    case 'disable': {
      if (!existing) return { doc: next, msg: `${session} already disabled` };
      next.delete(session);
      return { doc: next, msg: `Disabled ${session}` };
    }
    case 'laps': {
      if (session !== 'RACE') throw new ServerCfgError(`Invalid option laps for ${session}: only RACE can be run over a number of laps`);
      if (!existing) throw new ServerCfgError(`${session} is not enabled: "server session ${session} enable" first`);
      existing.set('LAPS', String(edit.value));
      existing.delete('TIME');
      return { doc: next, msg: `Set ${session} to ${edit.value} laps` };
    }
    case 'time': {
      if (!existing) throw new ServerCfgError(`${session} is not enabled: "server session ${session} enable" first`);
      existing.set('TIME', String(edit.value));
      existing.delete('LAPS');
      return { doc: next, msg: `Set ${session} to ${edit.value} minutes` };
    }
  }
}
