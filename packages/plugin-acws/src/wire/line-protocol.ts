/**
 * The ACWS line protocol, as existing clients (the ac-websocket-client GUI, scripts) expect it.
 *
 * Client -> server: one command per websocket message, e.g. `server info`; words split on
 * whitespace; the first message of a session is `logon: {"username": "..", "password": "..",
 * "protocol": "x.y"}`.
 * Server -> client: one JSON document per message, pretty-printed with an indent of 4 ("Google JSON
 * style"): `{"data": {...}}` on success, `{"error": {"msg": "..."}}` on failure.
 */

/** First words that the protocol routes; anything else is "unrecognised". */
export const COMMAND_FAMILIES = ['server', 'grid', 'lobby', 'tracker', 'shutdown'] as const;

/** Our protocol version; a client's logon must name this or newer (configurable minimum). */
export const PROTOCOL_VERSION = '1.0';

export function encodeData(data: unknown): string {
  return JSON.stringify({ data }, null, 4);
}

export function encodeError(msg: string, extra?: Record<string, unknown>): string {
  return JSON.stringify({ error: { msg, ...extra } }, null, 4);
}

export function welcomeMessage(version: string, host: string, port: number): string {
  return `Welcome to the Assetto Corsa WebSocket server version ${version} running at ${host}:${port}`;
}

export function shutdownMessage(host: string, port: number): string {
  return `Shutting down the WebSocket server running at ${host}:${port}`;
}

export function notLoggedOnMessage(minProtocol: string): string {
  return `Command ignored - client not compatible with PROTOCOL version: ${minProtocol}`;
}

/** A Python str's repr, as the original prints the words of a command it could not parse. */
export function pyRepr(s: string): string {
  if (s.includes("'") && !s.includes('"')) return `"${s.replace(/\\/g, '\\\\')}"`;
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The original's answer to an unknown `server` sub-command: `Failed to parse ['bogus']`. */
export function failedToParseMessage(words: readonly string[]): string {
  return `Failed to parse [${words.map(pyRepr).join(', ')}]`;
}

/**
 * The original's error texts for a `server session <NAME> <option> [N]` it could not take:
 * `Invalid session name X`, `Invalid option name X`, `Failed to parse arguments to set command [...]`.
 * Undefined for any other line.
 */
export function originalSessionError(line: string): string | undefined {
  const words = line.trim().split(/\s+/);
  if (words[0] !== 'server' || words[1] !== 'session') return undefined;
  const [name = '', option = ''] = words.slice(2);
  if (!['PRACTICE', 'QUALIFY', 'RACE'].includes(name.toUpperCase())) return `Invalid session name ${name}`;
  if (!['enable', 'disable', 'laps', 'time'].includes(option)) return `Invalid option name ${option}`;
  return `Failed to parse arguments to set command [${words.slice(2).map(pyRepr).join(', ')}]`;
}

export function unrecognisedMessage(raw: string): string {
  return `Received unrecognised message: ${raw}`;
}

export type ClientLine =
  | { kind: 'ignore' }
  | { kind: 'empty' }
  | { kind: 'logon'; payload: string }
  | { kind: 'command'; line: string; family: string }
  | { kind: 'unrecognised'; raw: string };

export function parseClientLine(text: string): ClientLine {
  // The original drops a bare newline (some clients send it as a keep-alive).
  if (text === '\n') return { kind: 'ignore' };
  const line = text.trim();
  if (line === '') return { kind: 'empty' };
  if (line.startsWith('logon:')) return { kind: 'logon', payload: line.slice('logon:'.length).trim() };
  const words = line.split(/\s+/);
  const family = words[0]!.toLowerCase();
  if (words.length < 2 || !(COMMAND_FAMILIES as readonly string[]).includes(family)) return { kind: 'unrecognised', raw: line };
  return { kind: 'command', line, family };
}

export interface Logon {
  username: string;
  protocol: string;
}

export class LogonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogonError';
  }
}

/**
 * The logon JSON. Only `protocol` is checked; `username` is kept for the audit log; a password here
 * is not a credential (tokens go in the URL or an Authorization header).
 */
export function parseLogon(payload: string, minProtocol: string): Logon {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch (err) {
    // `logon: 0.1.2` (a bare version, as people write it) is accepted too.
    if (parseVersion(payload) && /^\s*v?\d+(\.\d+)*\s*$/.test(payload)) json = payload.trim();
    else throw new LogonError(`logon: invalid JSON (${(err as Error).message}); expected logon: {"username": "...", "protocol": "${minProtocol}"}`);
  }
  // A bare version (`logon: 0.1`, `logon: "0.1"`) logs on without a username.
  if (typeof json === 'number' || typeof json === 'string') json = { protocol: json };
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new LogonError(`logon: expected a JSON object such as {"username": "...", "protocol": "${minProtocol}"}, or a bare version`);
  const o = json as Record<string, unknown>;
  const protocol = typeof o.protocol === 'number' ? String(o.protocol) : o.protocol;
  if (typeof protocol !== 'string' || !parseVersion(protocol)) {
    throw new LogonError(`logon: "protocol" must be a version such as "${minProtocol}", got ${JSON.stringify(o.protocol ?? null)}`);
  }
  if (compareVersions(protocol, minProtocol) < 0) {
    throw new LogonError(`${notLoggedOnMessage(minProtocol)} (client sent ${protocol})`);
  }
  const username = typeof o.username === 'string' ? o.username.slice(0, 64) : '';
  return { username, protocol };
}

function parseVersion(v: string): number[] | undefined {
  const m = /^v?(\d+(?:\.\d+)*)/.exec(v.trim());
  return m ? m[1]!.split('.').map(Number) : undefined;
}

/** Compares dotted release numbers (`0.7` < `0.10` < `1.0`); what follows the numbers is ignored. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a) ?? [];
  const y = parseVersion(b) ?? [];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

// --- unsolicited events, in the original's shapes ---

export interface DriverInfo {
  name: string;
  host: string;
  port: number;
  car: string;
  guid: string;
  ballast: number;
  restrictor: number;
  slot: number;
  msg: 'joining' | 'leaving' | '';
}

export interface LobbyInfo {
  connected: boolean;
  since: string | null;
  url_register: string | null;
  url_ping: string | null;
}

export const serverEvent = (e: { version: string; timestamp: string; msg: string }) => ({ server: { event: e } });
export const sessionEvent = (e: { type: string; laps: number; time: number }) => ({ session: { event: { ...e, msg: '', active: true } } });
export const driverEvent = (d: DriverInfo) => ({ driver: d });
/** An ISO time as the original prints one (Python's `%Y-%m-%d %H:%M:%S`, local time); null stays null. */
export function pyDateTime(iso: string | null): string | null {
  if (iso === null) return null;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A reply on the line protocol: lobby times in the original's format (the gateway keeps ISO). */
export function toLineReply(result: unknown): unknown {
  // `grid_applied` (a start swapped in entry_list_new.ini) and `forced` (a stop had to kill) are
  // ours, for the gateway: the original's clients get its keys alone.
  if (result && typeof result === 'object' && ('grid_applied' in result || 'forced' in result)) {
    const { grid_applied: _applied, forced: _forced, ...rest } = result as Record<string, unknown>;
    result = rest;
  }
  const lobby = (result as { lobby?: Record<string, unknown> } | null)?.lobby;
  if (!lobby || typeof lobby !== 'object') return result;
  if (typeof lobby.since === 'string') return { ...result as object, lobby: { ...lobby, since: pyDateTime(lobby.since) } };
  const event = lobby.event as Record<string, unknown> | undefined;
  if (event && typeof event.timestamp === 'string') return { ...result as object, lobby: { ...lobby, event: { ...event, timestamp: pyDateTime(event.timestamp) } } };
  return result;
}

export const lobbyEvent = (l: LobbyInfo) => ({
  lobby: { event: { connected: l.connected, timestamp: pyDateTime(l.since), url_register: l.url_register, url_ping: l.url_ping } },
});

/** Drivers' addresses are for full-control clients only. */
export function withoutAddress(d: DriverInfo): DriverInfo {
  return { ...d, host: '', port: 0 };
}

/** Keys a read-only caller never sees: the install folder, command lines, log paths, crash details. */
const PRIVATE_KEYS = new Set(['directory', 'cwd', 'cmd', 'log_file', 'error_file', 'details']);

/**
 * A reply as a read-only caller may see it: drivers without their address, none of PRIVATE_KEYS.
 * The one read-only rendering: the verbs answer read-only callers with it, and the line protocol
 * applies it to a full-control caller's reply it shares with read-only clients.
 */
export function forReadOnly<T>(value: T): T {
  if (Array.isArray(value)) return value.map(forReadOnly) as T;
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if ('guid' in o && 'host' in o && 'port' in o) return withoutAddress(o as unknown as DriverInfo) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!PRIVATE_KEYS.has(k)) out[k] = forReadOnly(v);
  return out as T;
}
