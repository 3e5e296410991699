import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, until } from '@acgateway/testing';
import { isEvent, startRig, type LineClient, type Rig } from './helpers.js';

// The original's own client (ac_websocket_client's Tk app) reads every message by key, without
// knowing which command it answers. Its handling is ported below (the UI left out, the state and
// the Python semantics kept: a missing key raises, which the app catches and prints), and driven
// through what the app does: connect, start, drivers joining and leaving, the grid buttons, stop.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Python truthiness (`if x := d.get(...)`): empty dicts, lists and strings, 0 and None are false. */
const truthy = (v: unknown) => !(v === undefined || v === null || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0));
/** `d[key]`: a KeyError when it is missing, as in Python. */
function key(d: unknown, k: string | number): unknown {
  if (!isObj(d) || !(String(k) in d)) throw new Error(`KeyError: ${JSON.stringify(k)}`);
  return d[String(k)];
}

class TkClientState {
  states = { isStarted: false, isRegistered: false, isTracking: false, iniNeedsSaving: true };
  serverVersion: string | null = null;
  drivers: Record<string, Obj> = {};
  entries: Record<number, Obj> = {};
  lobby: Obj = {};
  server: Obj = {};
  sessions: Obj = {};
  tracker: Obj = {};
  /** What the app's `except Exception` would have printed. */
  caught: string[] = [];
  /** Console lines by colour: red errors, green successes, purple neither. */
  console: Array<{ colour: 'red' | 'green' | 'purple'; frame: Obj }> = [];

  consume(frame: Obj): void {
    try {
      this.handle(frame);
    } catch (err) {
      this.caught.push(`${(err as Error).message} in ${JSON.stringify(frame)}`);
    }
  }

  private handle(input: Obj): void {
    const error = input.error;
    if (truthy(error)) {
      if (key(error, 'msg') === 'ERROR,INVALID SERVER,CHECK YOUR PORT FORWARDING SETTINGS') this.states.isRegistered = false;
      this.console.push({ colour: 'red', frame: input });
      return;
    }
    const data = input.data;
    if (!truthy(data) || !isObj(data)) {
      this.console.push({ colour: 'purple', frame: input });
      return;
    }
    const driver = data.driver;
    if (truthy(driver)) {
      const guid = (driver as Obj).guid;
      const msg = (driver as Obj).msg;
      if (truthy(guid) && truthy(msg)) {
        const slot = key(driver, 'slot') as number;
        const entry = key(this.entries, slot) as Obj;
        entry.guid = guid;
        entry.drivername = key(driver, 'name');
        if (String(msg).includes('joining')) {
          this.drivers[String(guid)] = driver as Obj;
          entry.connected = 'Yes';
        } else {
          entry.connected = 'No';
          key(this.drivers, String(guid));
          delete this.drivers[String(guid)];
        }
      }
    }
    const lobby = data.lobby;
    if (truthy(lobby)) {
      const event = (lobby as Obj).event;
      if (truthy(event)) {
        this.states.isRegistered = key(event, 'connected') as boolean;
        this.lobby.since = key(event, 'timestamp');
      } else {
        this.states.isRegistered = key(lobby, 'connected') as boolean;
        this.lobby.since = key(lobby, 'timestamp');
      }
    }
    const server = data.server;
    if (truthy(server)) {
      const event = (server as Obj).event;
      if (truthy(event)) {
        this.server.timestamp = key(event, 'timestamp');
        this.server.version = key(event, 'version');
        this.states.isStarted = true;
      } else {
        this.server = server as Obj;
        this.states.isStarted = Boolean((server as Obj).running ?? false);
      }
      if (truthy((server as Obj).sessions)) this.sessions = (server as Obj).sessions as Obj;
      const entries = (server as Obj).entries;
      if (truthy(entries)) {
        this.entries = {};
        for (const [k, v] of Object.entries(entries as Obj)) {
          const slot = Number.parseInt(k.replace(/\D/g, ''), 10);
          if (Number.isNaN(slot)) throw new Error(`ValueError: invalid literal for int(): ${k}`);
          this.entries[slot] = { ...(v as Obj), connected: 'No' };
        }
      }
      if (truthy((server as Obj).lobby)) {
        this.lobby = (server as Obj).lobby as Obj;
        this.states.isRegistered = key(this.lobby, 'connected') as boolean;
      }
    }
    const msg = data.msg;
    if (truthy(msg)) {
      const m = String(msg);
      if (m === 'Stracker started' || /^.*stracker.*is running.*$/.test(m)) this.states.isTracking = true;
      if (m === 'Stracker server stopped') this.states.isTracking = false;
      if (m === 'Assetto Corsa server started') this.states.isStarted = true;
      if (m === 'Assetto Corsa server stopped') {
        this.states.isStarted = false;
        this.states.isRegistered = false;
      }
      if (m === 'entry_list_new.ini file update SUCCESS') this.states.iniNeedsSaving = false;
      const welcome = /^Welcome to the Assetto Corsa WebSocket server version (\S*) .*$/.exec(m);
      if (welcome) this.serverVersion = welcome[1]!;
    }
    const stracker = data.stracker;
    if (truthy(stracker)) {
      this.tracker = stracker as Obj;
      this.states.isTracking = Boolean(key(this.tracker, 'running'));
    }
    const session = data.session;
    if (truthy(session)) {
      const event = (session as Obj).event;
      const s = truthy(event) ? (event as Obj) : (session as Obj);
      const type = key(s, 'type') as string;
      (key(this.sessions, type) as Obj).active = key(s, 'active');
    }
    if (truthy(data.sessions)) this.sessions = data.sessions as Obj;
    this.console.push({ colour: 'green', frame: input });
  }
}

/** The top-level keys of `data` the original server sends (spec, section 3). */
const KNOWN_DATA_KEYS = new Set(['msg', 'server', 'sessions', 'session', 'driver', 'drivers', 'entries', 'lobby', 'grid', 'stracker', 'AC Server', 'Stracker']);

describe('the original Tk client against the line protocol', () => {
  let rig: Rig;
  let c: LineClient;
  const tk = new TkClientState();
  let fed = 0;
  const feed = () => {
    for (; fed < c.messages.length; fed++) tk.consume(c.messages[fed] as Obj);
  };

  /** Sends what the app sends for one action; returns the replies (not events) that came, after a quiet spell. */
  async function act(lines: string[], replies: number): Promise<Obj[]> {
    const from = c.messages.length;
    for (const l of lines) c.send(l);
    await until(`${replies} replies to ${lines.join(', ')}`, () => c.since(from).filter((m) => !isEvent(m)).length >= replies, 10_000);
    // Extra messages would come at once: wait a moment for any.
    await sleep(300);
    feed();
    return c.since(from).filter((m) => !isEvent(m)) as Obj[];
  }

  beforeAll(async () => {
    rig = await startRig({ plugin: { fakeArgs: ['--join', '2', '--join-delay', '400', '--leave', '1', '--leave-delay', '300'] } });
    c = await rig.line({ logon: false });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it('connects, starts, sees drivers join and leave, orders the grid and stops, with nothing its handler trips on', async () => {
    // toggle_connection: logon (no reply), then server info, server sessions, tracker status.
    const hello = await act(['logon: {"username": "", "password": "", "protocol": "0.7"}', 'server info', 'server sessions', 'tracker status'], 3);
    expect(hello.map((m) => Object.keys((m.data ?? m.error) as Obj))).toEqual([['server'], ['sessions'], [expect.any(String)]]);
    expect(tk.serverVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Object.keys(tk.entries).length).toBe(5);
    expect(tk.states.isStarted).toBe(false);

    // toggle_game: server start, server info.
    const start = await act(['server start', 'server info'], 2);
    expect(start.map((m) => (m.data as Obj).msg ?? Object.keys(m.data as Obj)[0])).toEqual(['AC Server started', 'server']);
    await until('two drivers joined and one left', () => (feed(), c.messages.filter((m) => m.data?.driver?.msg === 'leaving').length === 1), 10_000);
    feed();
    expect(tk.states.isStarted).toBe(true);
    expect(Object.keys(tk.drivers)).toHaveLength(1);
    expect(Object.values(tk.entries).map((e) => e.connected).sort()).toEqual(['No', 'No', 'No', 'No', 'Yes']);

    // The grid buttons: finish and reverse answer twice (the message, then the grid), entries once,
    // "starting" (the app sends it; the server does not know it) not at all.
    const finish = await act(['grid finish'], 2);
    expect(finish.map((m) => Object.keys(m.data as Obj))).toEqual([['msg'], ['grid']]);
    const reverse = await act(['grid reverse'], 2);
    expect(reverse.map((m) => Object.keys(m.data as Obj))).toEqual([['msg'], ['grid']]);
    expect((await act(['grid entries'], 1)).map((m) => Object.keys(m.data as Obj))).toEqual([['entries']]);
    expect(await act(['grid starting'], 0)).toEqual([]);

    // toggle_game again: server stop, server info.
    const stop = await act(['server stop', 'server info'], 2);
    expect(stop.map((m) => (m.data as Obj).msg ?? Object.keys(m.data as Obj)[0])).toEqual(['AC Server server stopped', 'server']); // sic: the original's words
    await until('the stopped broadcast', () => (feed(), !tk.states.isStarted));

    // Nothing the app's handler would have tripped on, and no key it does not know.
    expect(tk.caught).toEqual([]);
    for (const m of c.messages) {
      if (m.data) expect(Object.keys(m.data).filter((k) => !KNOWN_DATA_KEYS.has(k)), JSON.stringify(m)).toEqual([]);
    }
    expect(tk.console.filter((l) => l.colour === 'red')).toEqual([]);
    expect(tk.console.filter((l) => l.colour === 'purple')).toEqual([]);
  });
});
