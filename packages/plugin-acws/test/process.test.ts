import { afterEach, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createTestHost, tempDir } from '@acgateway/testing';
import acws from '@acgateway/plugin-acws';
import { fakeAcServerPath } from '@acgateway/plugin-acws/fake';
import { isError, isMsg, startRig, type Rig } from './helpers.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

const started = isMsg('AC Server started');

describe('acServer process management', () => {
  it('start: runs the fake in the server folder, parses its log, publishes topics; stop is graceful', async () => {
    rig = await startRig({ plugin: { fakeArgs: ['--join', '3', '--leave', '1', '--join-delay', '50', '--leave-delay', '100'] } });
    const c = await rig.line();
    const reader = await rig.line(); // a second client sees the events too
    const start = await c.cmd('server start', (m) => started(m) || isError(m));
    expect(start.data['AC Server']).toMatchObject({ cwd: rig.sandbox.root, running: true });
    expect(start.data['AC Server'].cmd[0]).toBe(process.execPath);
    expect(start.data['AC Server'].timestamp).toMatch(/^\d{8}_\d{6}$/);
    // As the original: the reply first, then the broadcast it causes.
    const order = (client: typeof c) => client.messages.map((m) => m.data?.msg).filter((m) => m === 'AC Server started' || m === 'Assetto Corsa server started');
    await c.waitFor(isMsg('Assetto Corsa server started'));
    expect(order(c)).toEqual(['AC Server started', 'Assetto Corsa server started']);
    for (const client of [c, reader]) {
      await client.waitFor(isMsg('Assetto Corsa server started'));
      const banner = await client.waitFor((m) => m.data?.server?.event);
      expect(banner.data.server.event).toMatchObject({ version: 'v1.15', msg: 'Assetto Corsa Dedicated Server starting' });
      expect(banner.data.server.event.timestamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+ [+-]\d{4} /);
      const session = await client.waitFor((m) => m.data?.session?.event);
      expect(session.data.session.event).toEqual({ type: 'Practice', laps: 0, time: 10, msg: '', active: true });
    }
    const joined = await c.waitFor((m) => m.data?.driver?.msg === 'joining' && m.data.driver.name === 'Chloe Chen');
    expect(joined.data.driver).toEqual({ name: 'Chloe Chen', host: '127.0.0.4', port: 50002, car: 'ks_mazda_mx5_cup', guid: '76561198000000003', ballast: 0, restrictor: 0, slot: 2, msg: 'joining' });
    const left = await c.waitFor((m) => m.data?.driver?.msg === 'leaving');
    expect(left.data.driver).toMatchObject({ name: 'Alice Archer', slot: 0, msg: 'leaving' });

    const drivers = (await c.cmd('server drivers', (m) => m.data?.drivers)).data.drivers;
    expect(Object.keys(drivers).sort()).toEqual(['Bruno Brandt', 'Chloe Chen']);
    expect(drivers['Bruno Brandt']).toMatchObject({ host: '127.0.0.3', port: 50001, slot: 1, guid: '76561198000000002' });
    const info = (await c.cmd('server info', (m) => m.data?.server?.running !== undefined)).data.server;
    expect(info).toMatchObject({ running: true, version: 'v1.15' });
    expect(info.sessions.Practice.active).toBe(true);
    expect(info.sessions.Race.active).toBe(false);

    // Topics: status retained, drivers without addresses.
    const status = await rig.t.waitFor<any>('acws/server/status', (m) => m.data.state === 'running');
    expect(status.data.pid).toBe(start.data['AC Server'].pid);
    const j = await rig.t.waitFor<any>('acws/driver/joined', (m) => m.data.name === 'Chloe Chen');
    expect(j.data).toMatchObject({ name: 'Chloe Chen', car: 'ks_mazda_mx5_cup', guid: '76561198000000003', slot: 2 });
    expect(j.data.host).toBeUndefined();
    await rig.t.waitFor('acws/driver/left', (m: any) => m.data.name === 'Alice Archer');
    await rig.t.waitFor('acws/drivers', (m: any) => m.data.count === 2);
    await rig.t.waitFor('acws/session', (m: any) => m.data.type === 'Practice' && m.data.time_min === 10);
    await rig.t.waitFor('acws/server/info', (m: any) => m.data.version === 'v1.15' && m.data.track === 'magione');

    // The fake holds the ports acServer would hold.
    await expect(connectable(rig.sandbox.ports.game)).resolves.toBe(true);

    // Each run's output is kept in a log file; the ini files it started with are copied beside.
    const out = await fs.readFile(start.data['AC Server'].log_file, 'utf8');
    expect(out).toMatch(/^Assetto Corsa Dedicated Server v1\.15\nProtocol version: 202\n/);
    expect(start.data['AC Server'].log_file.startsWith(path.join(rig.sandbox.root, 'logs', 'session', 'output-'))).toBe(true);
    const snaps = await fs.readdir(path.join(rig.sandbox.root, 'logs', 'acws'));
    expect(snaps.some((f) => /^server_cfg-\d{8}_\d{6}\.ini$/.test(f))).toBe(true);
    expect(snaps.some((f) => /^entry_list-\d{8}_\d{6}\.ini$/.test(f))).toBe(true);

    const again = await c.cmd('server start');
    expect(again.error.msg).toBe('start command ignored - AC Server already running');

    const stop = await c.cmd('server stop', (m) => m.data?.msg === 'AC Server server stopped' || isError(m));
    expect(stop.data).toEqual({ msg: 'AC Server server stopped' });
    await reader.waitFor(isMsg('Assetto Corsa server stopped'));
    const exited = await rig.t.waitFor<any>('acws/server/exited');
    expect(exited.data).toMatchObject({ expected: true, code: 0, during_startup: false });
    expect(await fs.readFile(start.data['AC Server'].log_file, 'utf8')).toMatch(/Server shutting down\n$/);
    await expect(connectable(rig.sandbox.ports.game)).resolves.toBe(false);

    const after = (await c.cmd('server info', (m) => m.data?.server)).data.server;
    expect(after).toMatchObject({ running: false, version: 'n/a', timestamp: 'n/a', drivers: {} });
    expect((await c.cmd('server stop')).error.msg).toBe('stop command ignored - AC Server not running');
  });

  it('read-only clients never see drivers\' addresses', async () => {
    rig = await startRig({ plugin: { fakeArgs: ['--join', '1', '--join-delay', '20'], acws: { port: 0, token: 'admin-token-3', readToken: 'read-token-3' } } });
    const admin = await rig.line({ headers: { authorization: 'Bearer admin-token-3' } });
    const reader = await rig.line({ headers: { authorization: 'Bearer read-token-3' } });
    await admin.cmd('server start', (m) => started(m) || isError(m));
    const seenByAdmin = await admin.waitFor((m) => m.data?.driver?.msg === 'joining');
    const seenByReader = await reader.waitFor((m) => m.data?.driver?.msg === 'joining');
    expect(seenByAdmin.data.driver).toMatchObject({ name: 'Alice Archer', host: '127.0.0.2', port: 50000 });
    expect(seenByReader.data.driver).toMatchObject({ name: 'Alice Archer', host: '', port: 0, slot: 0, guid: '76561198000000001' });
    expect((await reader.cmd('server drivers')).data.drivers['Alice Archer']).toMatchObject({ host: '', port: 0 });
    expect((await reader.cmd('server info')).data.server.drivers['Alice Archer']).toMatchObject({ host: '', port: 0 });
    // Replies are shared as in the original, so each client reads the reply it wants by its key.
    const fromReader = reader.messages.length;
    expect((await admin.cmd('server drivers', (m) => m.data?.drivers !== undefined)).data.drivers['Alice Archer']).toMatchObject({ host: '127.0.0.2', port: 50000 });
    // The admin's reply reaches the read-only client too, without the address.
    const shared = await reader.waitFor((m) => m.data?.drivers !== undefined, fromReader);
    expect(shared.data.drivers['Alice Archer']).toMatchObject({ host: '', port: 0, guid: '76561198000000001' });
    // The admin's `server start` reply reached the reader as well: without the folder or command line.
    const startSeen = reader.messages.find((m) => m.data?.msg === 'AC Server started');
    expect(startSeen?.data['AC Server']).toMatchObject({ running: true });
    expect(Object.keys(startSeen!.data['AC Server'])).not.toEqual(expect.arrayContaining(['cwd']));
    expect(Object.keys(startSeen!.data['AC Server'])).not.toEqual(expect.arrayContaining(['cmd']));
    expect(admin.messages.find((m) => m.data?.msg === 'AC Server started')!.data['AC Server']).toHaveProperty('cwd');
    expect(JSON.stringify(rig.t.published('acws/#').map((m) => m.data))).not.toContain('127.0.0.2');
  });

  it('commands of one connection run in order, and a flood is bounded', async () => {
    rig = await startRig({ plugin: { acws: { port: 0, maxPending: 2 } } });
    const c = await rig.line();
    const from = c.messages.length;
    c.send('server start');
    c.send('server info');
    c.send('lobby info');
    await c.waitFor((m) => m.data?.server?.running === true, from);
    const replies = c.since(from).filter((m) => m.error || m.data?.server?.running !== undefined || m.data?.['AC Server']);
    expect(replies[0].error.msg).toBe('Command ignored - 2 commands of this connection are still running');
    expect(replies[1].data.msg).toBe('AC Server started');
    expect(replies[2].data.server.running).toBe(true);
  });

  it('restart stops and starts again (the original crashed here)', async () => {
    rig = await startRig();
    const c = await rig.line();
    const notRunning = await c.cmd('server restart', (m) => m.data?.msg === 'AC Server restarted' || isError(m));
    expect(notRunning.data.was_running).toBe(false);
    const pid1 = notRunning.data['AC Server'].pid;
    const r = await c.cmd('server restart', (m) => m.data?.msg === 'AC Server restarted' || isError(m));
    expect(r.data.was_running).toBe(true);
    expect(r.data['AC Server'].pid).not.toBe(pid1);
    expect(() => process.kill(pid1, 0)).toThrow();
    expect((await rig.t.waitFor<any>('acws/server/exited')).data.expected).toBe(true);
    expect((await c.cmd('server info', (m) => m.data?.server)).data.server.running).toBe(true);
  });

  it('a crash is detected, reported to every client, and the state is reset', async () => {
    rig = await startRig({ plugin: { fakeArgs: ['--join', '2', '--join-delay', '20'] } });
    const c = await rig.line();
    const start = await c.cmd('server start', (m) => started(m) || isError(m));
    await c.waitFor((m) => m.data?.driver?.name === 'Bruno Brandt');
    process.kill(start.data['AC Server'].pid, 'SIGUSR1');
    const crash = await c.waitFor(isError);
    expect(crash.error.msg).toBe('AC Server exited unexpectedly (exit code 2)');
    expect(crash.error.details).toMatch(/panic: runtime error/);
    await c.waitFor(isMsg('Assetto Corsa server stopped'));
    const exited = await rig.t.waitFor<any>('acws/server/exited');
    expect(exited.data).toMatchObject({ expected: false, code: 2 });
    await rig.t.waitFor('acws/server/status', (m: any) => m.data.state === 'crashed' && m.data.running === false);
    const driverCounts = rig.t.published('acws/drivers').map((m: any) => m.data.count);
    expect(driverCounts).toContain(2);
    expect(driverCounts.at(-1)).toBe(0);
    const info = (await c.cmd('server info', (m) => m.data?.server)).data.server;
    expect(info).toMatchObject({ running: false, version: 'n/a', drivers: {}, state: 'stopped' });
    expect(info.sessions.Practice.active).toBe(false);
    expect(rig.t.logs.some((l) => l.msg === 'acServer exited unexpectedly')).toBe(true);
    expect(await rig.t.metric('acgateway_acws_process_exits_total', { process: 'acServer', expected: 'false' })).toBe(1);
    // And it can be started again.
    expect((await c.cmd('server start', (m) => started(m) || isError(m))).data.msg).toBe('AC Server started');
  });

  it('a process that ignores SIGTERM is killed after the stop timeout', async () => {
    rig = await startRig({ plugin: { fakeArgs: ['--ignore-sigterm'], acServer: { stopTimeoutMs: 300 } } });
    const c = await rig.line();
    await c.cmd('server start', (m) => started(m) || isError(m));
    const stop = await c.cmd('server stop', (m) => m.data?.msg === 'AC Server server stopped' || isError(m));
    // The line protocol answers as the original; the kill shows in the exit event (and `forced` on the gateway).
    expect(stop.data).toEqual({ msg: 'AC Server server stopped' });
    expect((await rig.t.waitFor<any>('acws/server/exited')).data).toMatchObject({ expected: true, signal: 'SIGKILL' });
  });

  it('a failure during start-up fails the start with its last lines', async () => {
    rig = await startRig({ plugin: { fakeArgs: ['--fail-start'] } });
    const c = await rig.line();
    const r = await c.cmd('server start', (m) => (isError(m) && /^start command failed/.test(m.error.msg)) || started(m));
    expect(r.error.msg).toMatch(/^start command failed - AC Server exited during start-up \(exit code 1\): Assetto Corsa Dedicated Server v1\.15 \| .* \| ERROR: cannot load track content\/tracks\/magione: no such file or directory$/);
    expect((await rig.t.waitFor<any>('acws/server/exited')).data).toMatchObject({ expected: false, during_startup: true, code: 1 });
    expect((await c.cmd('server info', (m) => m.data?.server)).data.server.running).toBe(false);
  });

  it('a missing executable and a port in use are refused with what was wrong', async () => {
    rig = await startRig({ plugin: { acServer: { command: './acServer-does-not-exist', args: [] } } });
    const c = await rig.line();
    expect((await c.cmd('server start')).error.msg).toBe(`${path.join(rig.sandbox.root, 'acServer-does-not-exist')} missing`);
    await rig.stop();

    rig = await startRig();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(rig!.sandbox.ports.game, '0.0.0.0', () => r()));
    try {
      const d = await rig.line();
      const r = await d.cmd('server start');
      expect(r.error.msg).toBe(`start command failed - TCP_PORT port ${rig.sandbox.ports.game} (TCP) of cfg/server_cfg.ini is already in use: another acServer running?`);
    } finally {
      blocker.close();
    }
  });

  it('takes the executable and its arguments for this OS, else "default"; neither is a config error', async () => {
    const platform = process.platform as 'win32' | 'linux' | 'darwin';
    const others = (['win32', 'linux', 'darwin'] as const).filter((p) => p !== platform);
    rig = await startRig({
      plugin: {
        acServer: {
          command: { ...Object.fromEntries(others.map((p) => [p, './not-this-os'])), [platform]: process.execPath, default: './not-the-default' },
          args: { default: [fakeAcServerPath, '--no-lobby'] },
        },
      },
    });
    const c = await rig.line();
    const start = await c.cmd('server start', (m) => started(m) || isError(m));
    expect(start.data['AC Server'].cmd).toEqual([process.execPath, fakeAcServerPath, '--no-lobby']);
    await rig.stop();
    rig = undefined;

    const { dir, remove } = await tempDir('acws-os-');
    try {
      const command = Object.fromEntries(others.map((p) => [p, 'acServer']));
      await expect(createTestHost({ plugins: [acws({ root: dir, acws: { port: 0 }, acServer: { command } })] })).rejects.toThrow(`acServer.command has no entry for ${platform} and no "default"`);
    } finally {
      await remove();
    }
  });

  it('starts acServer with the gateway when asked (autoStart), and stops it when the gateway stops', async () => {
    rig = await startRig({ plugin: { acServer: { autoStart: true } } });
    // It boots in the background: the gateway is up first, the status says when acServer runs.
    const status = (await rig.t.waitFor('acws/server/status', (m: any) => m.data.state === 'running')).data as any;
    expect(status).toMatchObject({ state: 'running', running: true });
    const c = await rig.line();
    expect((await c.cmd('server info')).data.server.running).toBe(true);
    const pid = status.pid as number;
    expect(() => process.kill(pid, 0)).not.toThrow();
    await rig.stop();
    rig = undefined;
    expect(() => process.kill(pid, 0)).toThrow();
  });
  it('a gateway stopped while acServer is still booting stops it too (nothing left running)', async () => {
    rig = await startRig({ plugin: { acServer: { autoStart: true } } });
    const t = rig.t;
    await rig.stop(); // at once: the background start has at most just spawned the process
    rig = undefined;
    const statuses = t.published('acws/server/status').map((m) => m.data as any);
    expect(statuses.at(-1)).toMatchObject({ running: false });
    for (const pid of new Set(statuses.map((s) => s.pid).filter(Boolean))) expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('stracker', () => {
  it('start, status, restart, stop, and a missing stracker.ini', async () => {
    rig = await startRig();
    const c = await rig.line();
    const s = await c.cmd('tracker start', (m) => m.data?.msg === 'Stracker started' || isError(m));
    expect(s.data.stracker).toMatchObject({ cwd: path.join(rig.sandbox.root, 'stracker'), running: true });
    await c.waitFor(isMsg(/^stracker is running since \d{8}_\d{6}$/));
    await expect(connectable(rig.sandbox.ports.stracker)).resolves.toBe(true);
    expect((await c.cmd('tracker start')).error.msg).toBe('start command ignored - stracker already running');
    const status = await c.cmd('tracker status');
    expect(status.data.msg).toMatch(/^stracker is running since \d{8}_\d{6}$/);
    expect(status.data.stracker.running).toBe(true);
    const r = await c.cmd('tracker restart', (m) => m.data?.msg === 'Stracker restarted' || isError(m));
    expect(r.data.stracker.pid).not.toBe(s.data.stracker.pid);
    expect((await c.cmd('tracker stop', (m) => m.data?.msg === 'Stracker server stopped' || isError(m))).data).toEqual({ msg: 'Stracker server stopped' });
    expect((await c.cmd('tracker status')).data).toEqual({ msg: 'stracker is NOT running' });
    expect((await c.cmd('tracker stop')).error.msg).toBe('stop command ignored - stracker not running');
    await rig.t.waitFor('acws/tracker/status', (m: any) => m.data.state === 'stopped');

    await fs.rm(path.join(rig.sandbox.root, 'stracker', 'stracker.ini'));
    expect((await c.cmd('tracker start')).error.msg).toBe('start command failed - stracker/stracker.ini missing (stracker needs its stracker.ini)');
  });

  it('can be disabled', async () => {
    rig = await startRig({ plugin: { stracker: { enabled: false } } });
    const c = await rig.line();
    expect((await c.cmd('tracker start')).error.msg).toMatch(/stracker is disabled/);
    expect((await c.cmd('tracker status')).data.msg).toBe('stracker is NOT running');
  });
});

function connectable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
