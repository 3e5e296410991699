import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHost, tempDir, until } from '@acgateway/testing';
import acws from '@acgateway/plugin-acws';
import { LineClient, isMsg, startRig, type Rig } from './helpers.js';

/** `lobby info` of a server that never ran: nothing registered, no URL seen yet. */
const NOT_REGISTERED = { connected: false, since: null, url_register: null, url_ping: null };

describe('line protocol endpoint', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it('welcomes with the version and bound address, then asks for a logon', async () => {
    const c = await rig.line({ logon: false });
    const port = new URL(rig.lineUrl).port;
    expect(c.messages[0].data.msg).toMatch(new RegExp(`^Welcome to the Assetto Corsa WebSocket server version \\d+\\.\\d+\\.\\d+ running at 127\\.0\\.0\\.1:${port}$`));
    // Pretty-printed with an indent of 4, as the original.
    expect(c.raw[0]).toContain('\n    "data": {\n        "msg"');
    const refused = await c.cmd('server info');
    // The original's text, nothing added.
    expect(refused.error.msg).toBe('Command ignored - client not compatible with PROTOCOL version: 0.1');
    const old = await c.cmd('logon: {"username": "x", "password": "y", "protocol": "0.0.9"}');
    expect(old.error.msg).toMatch(/not compatible with PROTOCOL version: 0\.1 \(client sent 0\.0\.9\)/);
    const bad = await c.cmd('logon: {"protocol": ');
    expect(bad.error.msg).toMatch(/^logon: invalid JSON/);
    const n = c.messages.length;
    c.send('logon: {"username": "mark", "password": "ignored", "protocol": "0.7"}');
    const info = await c.cmd('server info');
    expect(c.messages.length).toBe(n + 1); // the logon itself got no reply
    expect(info.data.server.track).toBe(rig.sandbox.track);
  });

  it('accepts a bare version as the logon (logon: 0.1, as the demo README once said), and still refuses an old one', async () => {
    for (const logon of ['logon: 0.1', 'logon: "0.7"', 'logon: 1.0.2']) {
      const c = await rig.line({ logon: false });
      const n = c.messages.length;
      c.send(logon);
      const info = await c.cmd('server info');
      expect(c.messages.length, logon).toBe(n + 1);
      expect(info.data.server.track, logon).toBe(rig.sandbox.track);
      c.close();
    }
    const old = await rig.line({ logon: false });
    expect((await old.cmd('logon: 0.0.9')).error.msg).toMatch(/not compatible with PROTOCOL version: 0\.1 \(client sent 0\.0\.9\)/);
    expect((await old.cmd('logon: [1]')).error.msg).toMatch(/expected a JSON object .* or a bare version/);
  });

  it('sends what a server, lobby or tracker command printed to every logged-on client, as the original; grid replies stay private', async () => {
    const a = await rig.line();
    const b = await rig.line();
    const outsider = await rig.line({ logon: false });
    const [fromB, fromOut] = [b.messages.length, outsider.messages.length];
    const info = await a.cmd('server info', (m) => m.data?.server !== undefined);
    const seen = await b.waitFor((m) => m.data?.server !== undefined, fromB);
    expect(seen.data.server).toEqual(info.data.server);
    // An error of a server command is shared too, in the original's words.
    expect((await a.cmd('server bogus')).error.msg).toBe("Failed to parse ['bogus']");
    expect((await b.waitFor((m) => m.error !== undefined, fromB)).error.msg).toBe("Failed to parse ['bogus']");
    await a.cmd('lobby info', (m) => m.data?.lobby !== undefined);
    await b.waitFor((m) => m.data?.lobby !== undefined, fromB);
    // The grid is answered to the asker only.
    const beforeGrid = b.messages.length;
    const grid = await a.cmd('grid order', (m) => m.data?.grid !== undefined);
    expect(Object.keys(grid.data.grid).length).toBeGreaterThan(0);
    await a.cmd('server sessions', (m) => m.data?.sessions !== undefined);
    await b.waitFor((m) => m.data?.sessions !== undefined, beforeGrid);
    expect(b.since(beforeGrid).some((m) => m.data?.grid !== undefined)).toBe(false);
    // A connection that has not logged on hears none of it.
    expect(outsider.since(fromOut)).toEqual([]);
    for (const c of [a, b, outsider]) c.close();
  });

  it('answers every read verb in the original shapes', async () => {
    const c = await rig.line();
    const info = (await c.cmd('server info')).data.server;
    expect(info).toMatchObject({
      directory: rig.sandbox.root,
      child_ini_file: 'cfg/server_cfg.ini',
      child_title: 'AC Server',
      child_short: 'AC Server',
      is_optional: false,
      version: 'n/a',
      timestamp: 'n/a',
      name: 'acgateway sandbox',
      track: 'magione',
      cars: 'ks_mazda_mx5_cup;bmw_m3_e30',
      http_port: String(rig.sandbox.ports.http),
      tcp_port: String(rig.sandbox.ports.game),
      udp_port: String(rig.sandbox.ports.game),
      drivers: {},
      running: false,
      lobby: { connected: false, since: null, url_register: null, url_ping: null },
    });
    expect(Object.keys(info.entries)).toEqual(['0', '1', '2', '3', '4']);

    const entries = (await c.cmd('server entries')).data.entries;
    expect(entries['4']).toEqual({
      car_id: 'CAR_4', model: 'ks_mazda_mx5_cup', skin: '00_official', spectator_mode: '0', drivername: '#5 Emil Eriksen', team: '', guid: '76561198000000005', ballast: '0', restrictor: '0',
    });
    expect((await c.cmd('server sessions')).data.sessions).toEqual({
      Practice: { type: 'Practice', laps: 0, time: '10', msg: '', active: false },
      Qualify: { type: 'Qualify', laps: 0, time: '10', msg: '', active: false },
      Race: { type: 'Race', laps: '5', time: 0, msg: '', active: false },
    });
    expect((await c.cmd('server drivers')).data).toEqual({ drivers: {} });
    expect((await c.cmd('grid entries')).data.entries['1']).toBe('ks_mazda_mx5_cupAlice Archer (76561198000000001)');
    expect((await c.cmd('lobby info')).data.lobby).toEqual(NOT_REGISTERED);
    expect((await c.cmd('tracker status')).data).toEqual({ msg: 'stracker is NOT running' });
  });

  it('answers unknown sub-commands as the original: silence for grid, lobby and tracker, "Failed to parse [...]" for server', async () => {
    const c = await rig.line();
    expect((await c.cmd('server bogus')).error.msg).toBe("Failed to parse ['bogus']");
    expect((await c.cmd('server bogus more')).error.msg).toBe("Failed to parse ['bogus', 'more']");
    // No reply to these: the next message on the connection is the answer to the command after them.
    const n = c.messages.length;
    c.send('grid starting');
    c.send('lobby nonsense');
    c.send('tracker foo');
    const info = await c.cmd('lobby info');
    expect(info.data.lobby).toBeDefined();
    expect(c.messages.slice(n).filter((m) => m.error)).toEqual([]);
    expect(await rig.t.metric('acgateway_bad_input_total', { plugin: 'acws', kind: 'bad-command' })).toBeGreaterThanOrEqual(5); // still counted
  });

  it('with strict: true, unknown sub-commands get our error naming the nearest verbs', async () => {
    const strict = await startRig({ plugin: { acws: { strict: true } } });
    try {
      const c = await strict.line();
      expect((await c.cmd('server bogus')).error.msg).toMatch(/^unknown command "server bogus"; did you mean: /);
      expect((await c.cmd('grid starting')).error.msg).toMatch(/unknown command "grid starting"/);
      expect((await c.cmd('lobby nonsense')).error.msg).toMatch(/unknown command "lobby nonsense"/);
      expect((await c.cmd('tracker foo')).error.msg).toMatch(/unknown command "tracker foo"/);
    } finally {
      await strict.stop();
    }
  });

  it('never stays silent otherwise: unknown, single-word, empty and overlong messages get an error', async () => {
    const c = await rig.line();
    const badBefore = await rig.t.metric('acgateway_bad_input_total', { plugin: 'acws', kind: 'bad-command' });
    expect((await c.cmd('hello world')).error.msg).toBe('Received unrecognised message: hello world');
    expect((await c.cmd('server')).error.msg).toBe('Received unrecognised message: server');
    expect((await c.cmd('shutdown later')).error.msg).toMatch(/<when> must be one of now, got "later"/);
    // server session errors in the original's texts.
    expect((await c.cmd('server session PRACTICE laps')).error.msg).toBe("Failed to parse arguments to set command ['PRACTICE', 'laps']");
    expect((await c.cmd('server session RACE time x')).error.msg).toBe("Failed to parse arguments to set command ['RACE', 'time', 'x']");
    expect((await c.cmd('server session SPRINT enable')).error.msg).toBe('Invalid session name SPRINT');
    expect((await c.cmd('server session RACE wobble')).error.msg).toBe('Invalid option name wobble');
    expect((await c.cmd('server configuration')).error.msg).toMatch(/missing <write\|reload>|missing <action>/);
    expect((await c.cmd('   ')).error.msg).toMatch(/^Received empty message/);
    const long = `server info ${'x'.repeat(2000)}`;
    expect((await c.cmd(long)).error.msg).toBe('Command too long: 2012 characters, at most 1024');
    // A binary frame is read as UTF-8 text, as the original did.
    expect((await c.cmd(Buffer.from('server sessions') as unknown as string)).data.sessions.Race.laps).toBe('5');
    // Still connected and answering after all that.
    expect((await c.cmd('lobby info')).data.lobby.connected).toBe(false);
    expect(c.closed).toBeUndefined();
    const badInput = (kind: string) => rig.t.metric('acgateway_bad_input_total', { plugin: 'acws', kind });
    expect(await badInput('unrecognised')).toBe(2);
    expect(await badInput('line-too-long')).toBe(1);
    expect(await badInput('line-empty')).toBe(1);
    // The six bad arguments above.
    expect(await badInput('bad-command')).toBe(badBefore + 6);
  });

  it('a bare newline is dropped silently, as the original does', async () => {
    const c = await rig.line();
    const n = c.messages.length;
    c.send('\n');
    const r = await c.cmd('lobby info');
    expect(c.messages.length).toBe(n + 1);
    expect(r).toEqual({ data: { lobby: NOT_REGISTERED } });
  });

  it('a frame larger than maxPayload closes that connection only', async () => {
    const c = await rig.line();
    c.send('x'.repeat(70 * 1024));
    expect((await until('the oversized frame closed the connection', () => c.closed)).code).toBe(1009);
    const d = await rig.line();
    expect((await d.cmd('lobby info')).data.lobby).toEqual(NOT_REGISTERED);
  });

  it('shutdown now closes the line endpoint and tells every client; the gateway keeps working', async () => {
    const a = await rig.line();
    const b = await rig.line();
    const reply = await a.cmd('shutdown now');
    const port = new URL(rig.lineUrl).port;
    expect(reply.data.msg).toBe(`Shutting down the WebSocket server running at 127.0.0.1:${port}`);
    await b.waitFor(isMsg(/^Shutting down/));
    const closedBy = (client: LineClient) => until('the endpoint closed the connection', () => client.closed);
    // The endpoint's own stop closes every client with 1001 (going away), not a dropped socket.
    expect(await closedBy(a)).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(await closedBy(b)).toEqual({ code: 1001, reason: 'server shutting down' });
    await expect(LineClient.connect(rig.lineUrl)).rejects.toThrow();
    const g = await rig.gateway();
    expect((await g.cmd('server sessions')).data.sessions.Race.laps).toBe('5');
    expect((await g.cmd('shutdown now')).error.message).toMatch(/not running/);
  });
});

describe('line protocol security', () => {
  it('with tokens (required on loopback too): no token is refused, the read token gets a read-only role without addresses', async () => {
    const rig = await startRig({ plugin: { acws: { port: 0, token: 'admin-secret-1', readToken: 'read-secret-1' } } });
    try {
      await expect(LineClient.connect(rig.lineUrl)).rejects.toThrow(/401/);
      await expect(LineClient.connect(`${rig.lineUrl}?token=wrong-token`)).rejects.toThrow(/401/);
      const reader = await rig.line({ headers: { authorization: 'Bearer read-secret-1' } });
      const info = (await reader.cmd('server info')).data.server;
      expect(info.directory).toBeUndefined();
      expect(info.track).toBe('magione');
      for (const verb of ['server start', 'server stop', 'grid finish', 'grid save', 'server configuration write', 'server session RACE laps 3', 'lobby restart', 'tracker start', 'shutdown now']) {
        const r = await reader.cmd(verb);
        expect(r.error.msg, verb).toMatch(/changes things and needs a full-control token; this connection is read-only/);
      }
      const admin = await LineClient.connect(`${rig.lineUrl}?token=admin-secret-1`);
      expect((await admin.cmd('server session RACE laps 3')).data.msg).toBe('Set RACE to 3 laps');
      admin.close();
      // Refused attempts and changes are both in the audit log, with who asked.
      const audit = rig.t.logs.filter((l) => l.audit === true);
      expect(audit.some((l) => l.verb === 'server start' && l.ok === false && (l.caller as any).role === 'read' && (l.caller as any).remote === '127.0.0.1')).toBe(true);
      expect(audit.some((l) => l.verb === 'server session' && l.ok === true && (l.caller as any).role === 'admin' && /acws-\d+:tester/.test((l.caller as any).id))).toBe(true);
    } finally {
      await rig.stop();
    }
  });

  it('refuses to listen off loopback without a token', async () => {
    const tmp = await tempDir('acws-');
    try {
      await expect(createTestHost({ plugins: [acws({ root: tmp.dir, acws: { host: '0.0.0.0', port: 0 } })] })).rejects.toThrow(/acws.host is 0.0.0.0, not loopback: set acws.token/);
    } finally {
      await tmp.remove();
    }
  });

  it('off loopback with a token, every connection must present it', async () => {
    const rig = await startRig({ plugin: { acws: { host: '0.0.0.0', port: 0, token: 'admin-secret-2' } } });
    try {
      const url = rig.lineUrl.replace('localhost', '127.0.0.1');
      await expect(LineClient.connect(url)).rejects.toThrow(/401/);
      const c = await LineClient.connect(url, { headers: { authorization: 'Bearer admin-secret-2' } });
      expect((await c.cmd('lobby info')).data.lobby).toEqual(NOT_REGISTERED);
      c.close();
    } finally {
      await rig.stop();
    }
  });
});

describe('bad options', () => {
  it('an unknown option key is a clear config error', async () => {
    await expect(createTestHost({ plugins: [acws({ nope: 1 } as never)] })).rejects.toThrow(/acws.*nope|Unrecognized key/);
  });
});
