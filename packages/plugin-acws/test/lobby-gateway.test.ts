import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep, until } from '@acgateway/testing';
import { isError, startRig, type Rig } from './helpers.js';
// `acgateway exec` itself, run in-process against the test host's gateway.
import { main as cli } from '../../cli/src/main.js';

/** A stand-in for the Kunos lobby: records every request, answers what the test says. */
class FakeLobby {
  readonly requests: URL[] = [];
  answer: { status: number; body: string } = { status: 200, body: 'OK' };
  private server = http.createServer((req, res) => {
    this.requests.push(new URL(req.url ?? '/', 'http://lobby'));
    res.writeHead(this.answer.status, { 'content-type': 'text/plain' });
    res.end(this.answer.body);
  });
  base = '';
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/lobby.ashx`;
  }
  stop(): Promise<void> {
    return new Promise((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}

describe('lobby', () => {
  let lobby: FakeLobby;
  let rig: Rig | undefined;
  beforeAll(async () => {
    lobby = new FakeLobby();
    await lobby.start();
  });
  afterAll(() => lobby.stop());
  afterEach(async () => {
    await rig?.stop();
    rig = undefined;
  });

  it('follows acServer\'s lobby lines and registers again with the URL it used, at the configured base', async () => {
    rig = await startRig({ plugin: { lobby: { baseUrl: lobby.base } } });
    const c = await rig.line();
    await c.cmd('server start', (m) => m.data?.msg === 'AC Server started' || isError(m));
    const ev = await c.waitFor((m) => m.data?.lobby?.event?.connected === true);
    // acServer logged the real lobby's URLs; they are shown as logged.
    expect(ev.data.lobby.event.url_register).toMatch(/^http:\/\/93\.57\.10\.21\/lobby\.ashx\/register\?name=acgateway\+sandbox&port=/);
    await c.waitFor((m) => m.data?.lobby?.event?.url_ping);
    const info = (await c.cmd('lobby info')).data.lobby;
    expect(info.connected).toBe(true);
    // The original's time format on the line protocol (Python's %Y-%m-%d %H:%M:%S); the bus keeps ISO.
    expect(info.since).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(ev.data.lobby.event.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect((rig.t.published('acws/lobby').at(-1)?.data as { since: string }).since).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    lobby.answer = { status: 200, body: 'OK' };
    const from = c.messages.length;
    const r = await c.cmd('lobby restart', (m) => m.data?.lobby?.event !== undefined || isError(m));
    expect(r.data.lobby.event.connected).toBe(true);
    // The event and the reply have the same shape; the reply comes after the ping.
    await until('the lobby event and the reply', () => c.since(from).filter((m) => m.data?.lobby?.event).length >= 2);
    // Only the configured base was contacted, with acServer's own query.
    expect(lobby.requests.map((u) => u.pathname)).toEqual(['/lobby.ashx/register', '/lobby.ashx/ping']);
    expect(lobby.requests[0]!.searchParams.get('port')).toBe(String(rig.sandbox.ports.game));
    expect(lobby.requests[0]!.searchParams.get('name')).toBe('acgateway sandbox');
    expect(lobby.requests[1]!.searchParams.get('session')).toBe('1');

    lobby.answer = { status: 200, body: 'ERROR,INVALID SERVER,CHECK YOUR PORT FORWARDING SETTINGS' };
    const refused = await c.cmd('lobby restart', (m) => isError(m));
    expect(refused.error.msg).toBe('ERROR,INVALID SERVER,CHECK YOUR PORT FORWARDING SETTINGS');
    expect((await c.cmd('lobby info')).data.lobby.connected).toBe(false);
    await rig.t.waitFor('acws/lobby', (m: any) => m.data.connected === false && m.data.url_register !== null);

    // A stopped server is no longer registered.
    lobby.answer = { status: 200, body: 'OK' };
    await c.cmd('lobby restart', (m) => m.data?.lobby?.event?.connected === true || isError(m));
    await c.cmd('server stop', (m) => m.data?.msg === 'AC Server server stopped' || isError(m));
    expect((await c.cmd('lobby info')).data.lobby.connected).toBe(false);
  });

  it('re-registers once by itself when acServer reports the lobby lost', async () => {
    rig = await startRig({ plugin: { lobby: { baseUrl: lobby.base }, fakeArgs: ['--lobby-fail'] } });
    const before = lobby.requests.length;
    lobby.answer = { status: 200, body: 'OK' };
    const c = await rig.line();
    await c.cmd('server start', (m) => m.data?.msg === 'AC Server started' || isError(m));
    await rig.t.waitFor('acws/lobby', (m: any) => m.data.connected === false && m.data.url_ping !== null);
    // The register, then the ping that follows it: wait for both before reading them.
    await until('the register and its ping', () => lobby.requests.length >= before + 2);
    await sleep(100); // and no third one
    expect(lobby.requests.slice(before).map((u) => u.pathname)).toEqual(['/lobby.ashx/register', '/lobby.ashx/ping']);
    await until('acws/lobby connected again', () => (rig!.t.published('acws/lobby').at(-1)?.data as any)?.connected === true);
    expect(lobby.requests[before]!.searchParams.get('port')).toBe(String(rig.sandbox.ports.game));
  });

  it('before any run, registers with a URL built from server_cfg.ini; an unreachable lobby is a clear error', async () => {
    rig = await startRig({ plugin: { lobby: { baseUrl: lobby.base } } });
    const c = await rig.line();
    const before = lobby.requests.length;
    const r = await c.cmd('lobby restart', (m) => m.data?.lobby?.event?.connected === true || isError(m));
    expect(r.data.lobby.event.connected).toBe(true);
    const req = lobby.requests[before]!;
    expect(req.pathname).toBe('/lobby.ashx/register');
    expect(req.searchParams.get('tcp_port')).toBe(String(rig.sandbox.ports.game));
    expect(req.searchParams.get('track')).toBe('magione');
    expect(req.searchParams.get('cars')).toBe('ks_mazda_mx5_cup,bmw_m3_e30');
    expect(req.searchParams.get('durations')).toBe('600,600,5');
    await rig.stop();

    rig = await startRig({ plugin: { lobby: { baseUrl: 'http://127.0.0.1:1/lobby.ashx', timeoutMs: 1000 } } });
    const d = await rig.line();
    expect((await d.cmd('lobby restart')).error.msg).toMatch(/^cannot reach the lobby at http:\/\/127\.0\.0\.1:1: /);
  });
});

describe('the same verbs through the core gateway and acgateway exec', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({ host: { server: { token: 'gw-admin-token', readToken: 'gw-read-token' } }, plugin: { fakeArgs: ['--join', '1', '--join-delay', '20'] } });
  });
  afterAll(() => rig.stop());

  it('gateway websocket: reads, changes, and the read-only role', async () => {
    const admin = await rig.gateway('gw-admin-token');
    const reader = await rig.gateway('gw-read-token');
    const info = await admin.cmd('server info');
    expect(info.data.server).toMatchObject({ track: 'magione', running: false, directory: rig.sandbox.root });
    expect((await reader.cmd('server info')).data.server.directory).toBeUndefined();
    expect((await admin.cmd('server session RACE laps 8')).data).toEqual({ msg: 'Set RACE to 8 laps' });
    expect((await admin.cmd('server configuration write')).data.msg).toBe('Wrote cfg/server_cfg.ini');
    expect((await reader.cmd('server sessions')).data.sessions.Race.laps).toBe('8');
    expect((await admin.cmd('grid finish')).data.grid['1']).toBe('Chloe Chen');
    expect((await reader.cmd('grid order')).data.grid['1']).toBe('Chloe Chen');
    const forbidden = await reader.cmd('server start');
    expect(forbidden.error).toMatchObject({ code: 'FORBIDDEN' });
    expect((await admin.cmd('server bogus')).error.code).toBe('UNKNOWN_VERB');

    reader.subscribe(['acws/#']);
    const started = await admin.cmd('server start');
    expect(started.data.msg).toBe('AC Server started');
    await rig.t.waitFor('acws/driver/joined');
    const drivers = (await reader.cmd('server drivers')).data.drivers;
    expect(drivers['Alice Archer']).toMatchObject({ host: '', port: 0, slot: 0 });
    expect((await admin.cmd('server drivers')).data.drivers['Alice Archer'].host).toBe('127.0.0.2');
    await until('the reader got acws/driver/joined', () => reader.frames.some((f) => f.topic === 'acws/driver/joined' && f.data.name === 'Alice Archer'));
    expect(JSON.stringify(reader.frames)).not.toContain('127.0.0.2');
    expect((await admin.cmd('server stop')).data.msg).toBe('AC Server server stopped');
    // Every change is in the log with who asked.
    expect(rig.t.logs.some((l) => l.audit === true && l.verb === 'server configuration' && (l.caller as any).endpoint === 'gateway' && (l.caller as any).remote === '127.0.0.1')).toBe(true);
  });

  it('acgateway exec runs a verb and prints the reply', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) };
    expect(await cli(['exec', 'server sessions', '--url', rig.t.urls.gateway, '--token', 'gw-read-token'], io)).toBe(0);
    expect(JSON.parse(out.join('\n')).sessions.Race).toMatchObject({ type: 'Race', laps: '8' });
    out.length = 0;
    expect(await cli(['exec', 'grid', 'save', '--url', rig.t.urls.gateway, '--token', 'gw-admin-token'], io)).toBe(0);
    expect(JSON.parse(out.join('\n')).msg).toBe('entry_list_new.ini file update SUCCESS');
    out.length = 0;
    expect(await cli(['exec', 'tracker status', '--url', rig.t.urls.gateway, '--token', 'gw-read-token'], io)).toBe(0);
    expect(JSON.parse(out.join('\n'))).toEqual({ msg: 'stracker is NOT running' });
    out.length = 0;
    expect(await cli(['exec', 'server stop', '--url', rig.t.urls.gateway, '--token', 'gw-admin-token'], io)).toBe(1);
    expect(JSON.parse(out.join('\n')).error.message).toBe('stop command ignored - AC Server not running');
  });
});
