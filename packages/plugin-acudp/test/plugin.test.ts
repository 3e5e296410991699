import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestHost, tempDir, until, type TestHost } from '@acgateway/testing';
import acudpDefault, { acudp, type AcspEvent, type AcStateSnapshot } from '@acgateway/plugin-acudp';
import { FakeAcServer } from '@acgateway/plugin-acudp/fake';
import { hostWithFake, loopbackUdp, sourceStatus } from './helpers.js';

let t: TestHost | undefined;
let fake: FakeAcServer | undefined;

afterEach(async () => {
  await t?.stop();
  await fake?.stop();
  t = undefined;
  fake = undefined;
});

/** A host running the plugin next to a fake server with every driver loaded. */
async function live(pluginOptions: Parameters<typeof acudp>[0] = {}, serverOptions: ConstructorParameters<typeof FakeAcServer>[0] = {}) {
  ({ t, fake } = await hostWithFake(
    { requestTimeoutMs: 1500, ...pluginOptions },
    { cars: 4, lapMs: 300, loadDelayMs: 20, chatEveryMs: 0, collisionEveryMs: 0, ...serverOptions },
  ));
  const host = t;
  await until('drivers loaded', () => host.published('acudp/client_loaded').length === (serverOptions.drivers ?? 4));
  return host;
}

/** A fake server whose drivers all joined (their joins sent to a port nobody listens on) before any plugin ran. */
async function fakeWithEarlyDrivers(cars: number): Promise<FakeAcServer> {
  const { port: nobody } = await loopbackUdp().then(({ socket, port }) => new Promise<{ port: number }>((r) => socket.close(() => r({ port }))));
  const server = new FakeAcServer({ cars, pluginPort: nobody, commandPort: 0, lapMs: 60_000, loadDelayMs: 5, chatEveryMs: 0, collisionEveryMs: 0 });
  await server.start();
  await until('every driver joined', () => (server.stats.sent.client_loaded ?? 0) === cars);
  return server;
}

describe('acudp plugin with a fake AC server', () => {
  it('keys car updates by car id, so a slow latest subscriber keeps every car', async () => {
    const host = await live({ realtimeIntervalMs: 40 });
    await host.waitFor('acudp/car_update', (m) => (m.data as { carId: number }).carId === 3);
    const updates = host.published('acudp/car_update');
    expect(updates.every((m) => m.key === String((m.data as { carId: number }).carId))).toBe(true);
    const got: unknown[] = [];
    const sub = host.host.bus.subscribe('acudp/car_update', (m) => got.push(m.data), { policy: 'latest' });
    sub.pause();
    await until('one pending update per car', () => sub.pending === 4);
    sub.resume();
    expect(new Set(got.map((d) => (d as { carId: number }).carId))).toEqual(new Set([0, 1, 2, 3]));
    sub.unsubscribe();
  });

  it('is the default export', () => {
    expect(acudpDefault).toBe(acudp);
    expect(acudp.definition.name).toBe('acudp');
  });

  it('publishes every event on acudp/<event> and a retained acudp/state', async () => {
    const host = await live({ realtimeIntervalMs: 40 });
    const session = await host.waitFor<AcspEvent>('acudp/new_session');
    expect(session.data).toMatchObject({ type: 'new_session', name: 'Practice', sessionIndex: 0 });
    expect(host.published('acudp/new_connection').map((m) => (m.data as { driverName: string }).driverName)).toEqual(['Ana Šimić', 'Zoë Ångström', 'Jörg Müller', 'Łukasz Żak']);
    const update = await host.waitFor<{ carId: number; pos: { x: number } }>('acudp/car_update');
    expect(update.data.pos.x).toEqual(expect.any(Number));
    expect(fake!.realtimeIntervalMs).toBe(40);
    const lap = await host.waitFor<{ leaderboard: unknown[] }>('acudp/lap_completed');
    expect(lap.data.leaderboard).toHaveLength(4);
    fake!.chat(1, 'hej 👋');
    fake!.collide(0, 1);
    await host.waitFor('acudp/chat', (m) => (m.data as { message: string }).message === 'hej 👋');
    await host.waitFor('acudp/client_event', (m) => (m.data as { kind: string }).kind === 'collision_with_car');
    const state = await until('a state with a leaderboard and four cars', () => {
      const s = host.host.bus.last<AcStateSnapshot & { mode: string }>('acudp/state')?.data;
      return s && s.leaderboard !== null && s.cars.length === 4 ? s : undefined;
    });
    expect(state.mode).toBe('udp');
    expect(state.session?.name).toBe('Practice');
    expect(state.cars.every((c) => c.connected && c.loaded)).toBe(true);
  });

  it('answers the read verbs from the server, with errors and timeouts', async () => {
    const host = await live();
    expect(await host.dispatch('ac session')).toMatchObject({ type: 'session_info', sessionIndex: 0, name: 'Practice' });
    expect(await host.dispatch('ac session 2', { role: 'read' })).toMatchObject({ sessionIndex: 2, name: 'Race' });
    await expect(host.dispatch('ac session 7')).rejects.toMatchObject({ code: 'AC_ERROR', message: expect.stringContaining('out of bounds: 7') });
    expect(await host.dispatch('ac car 1', { role: 'read' })).toMatchObject({ type: 'car_info', carId: 1, isConnected: true, driverName: 'Zoë Ångström' });
    await expect(host.dispatch('ac car 9')).rejects.toMatchObject({ code: 'AC_ERROR' });
    await expect(host.dispatch('ac car 300')).rejects.toMatchObject({ code: 'BAD_ARGS', message: expect.stringContaining('<id> must be <= 254') });
    const state = (await host.dispatch('ac state', { role: 'read' })) as AcStateSnapshot;
    expect(state.cars).toHaveLength(4);
  });

  it('sends the write verbs; read-only callers are refused; bad texts never leave', async () => {
    const host = await live();
    await expect(host.dispatch('ac chat 1 hi', { role: 'read' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await host.dispatch('ac chat 1 "hello  🏁 there"')).toEqual({ sent: { type: 'send_chat', carId: 1, message: 'hello  🏁 there' } });
    await host.dispatch('ac broadcast Race in 5 𝔘');
    await host.dispatch('ac kick 3');
    await host.waitFor('acudp/connection_closed', (m) => (m.data as { carId: number }).carId === 3);
    await host.dispatch('ac next-session');
    await host.waitFor('acudp/new_session', (m) => (m.data as { sessionIndex: number }).sessionIndex === 1);
    await host.dispatch('ac restart-session');
    await host.dispatch('ac admin /next_session');
    await host.waitFor('acudp/new_session', (m) => (m.data as { sessionIndex: number }).sessionIndex === 2);
    await host.dispatch('ac interval 25');
    await expect(host.dispatch(`ac broadcast ${'x'.repeat(256)}`)).rejects.toMatchObject({ code: 'BAD_ARGS', message: expect.stringContaining('256 characters') });
    await expect(host.dispatch('ac interval 70000')).rejects.toMatchObject({ code: 'BAD_ARGS' });
    await until('the new interval at the server', () => fake!.realtimeIntervalMs === 25);
    expect(fake!.chatToDrivers).toEqual([
      { carId: 1, message: 'hello  🏁 there' },
      { carId: 255, message: 'Race in 5 𝔘' },
    ]);
    expect(fake!.received.map((c) => c.type)).toEqual([
      'get_session_info', // sent by the plugin at start
      'send_chat',
      'broadcast_chat',
      'kick_user',
      'next_session',
      'restart_session',
      'admin_command',
      'realtimepos_interval',
    ]);
  });

  it('asks the server about drivers who joined before the plugin listened, once per car', async () => {
    // The plugin, started after the joins, sees only car updates; it must ask (GET_CAR_INFO) to put names on the cars.
    fake = await fakeWithEarlyDrivers(3);
    const asked: number[] = [];
    fake.on('command', (cmd: { type: string; carId?: number }) => cmd.type === 'get_car_info' && asked.push(cmd.carId!));
    t = await createTestHost({ plugins: [acudp({ listenPort: 0, serverPort: fake.commandPort, realtimeIntervalMs: 30 })] });
    fake.setPluginAddress(sourceStatus(t).listenPort as number);
    const state = await t.waitFor<AcStateSnapshot>('acudp/state', (m) => m.data.cars.length === 3 && m.data.cars.every((c) => c.driverName !== ''), 5000);
    expect(state.data.cars.map((c) => c.driverName)).toEqual(['Ana Šimić', 'Zoë Ångström', 'Jörg Müller']);
    expect(state.data.cars.every((c) => c.connected && c.carModel !== '')).toBe(true);
    // Many more car updates came in; each car was asked about once.
    await until('more car updates', () => t!.published('acudp/car_update').length > 20);
    expect(asked.sort()).toEqual([0, 1, 2]);
  });

  it('with askCarInfo off, cars that joined earlier stay nameless and nothing is asked', async () => {
    fake = await fakeWithEarlyDrivers(2);
    const asked: string[] = [];
    fake.on('command', (cmd: { type: string }) => asked.push(cmd.type));
    t = await createTestHost({ plugins: [acudp({ listenPort: 0, serverPort: fake.commandPort, realtimeIntervalMs: 30, askCarInfo: false })] });
    fake.setPluginAddress(sourceStatus(t).listenPort as number);
    await until('car updates from both cars', () => new Set(t!.published('acudp/car_update').map((m) => (m.data as { carId: number }).carId)).size === 2);
    // Only the start-up requests went out.
    expect(asked.sort()).toEqual(['get_session_info', 'realtimepos_interval']);
    expect(t.host.bus.last<AcStateSnapshot>('acudp/state')!.data.cars.every((c) => c.driverName === '')).toBe(true);
  });

  it('re-sends the realtime interval at each new session', async () => {
    const host = await live({ realtimeIntervalMs: 200 });
    await host.dispatch('ac next-session');
    await until('a second interval command', () => fake!.received.filter((c) => c.type === 'realtimepos_interval').length >= 2);
    expect(fake!.received.filter((c) => c.type === 'realtimepos_interval').every((c) => c.type === 'realtimepos_interval' && c.intervalMs === 200)).toBe(true);
  });

  it('times out a question nobody answers', async () => {
    const sink = await loopbackUdp();
    try {
      t = await createTestHost({ plugins: [acudp({ listenPort: 0, serverPort: sink.port, requestTimeoutMs: 150 })] });
      await expect(t.dispatch('ac session')).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('within 150 ms') });
      await expect(t.dispatch('ac car 0')).rejects.toMatchObject({ code: 'TIMEOUT' });
    } finally {
      sink.socket.close();
    }
  });

  it('bad datagrams are counted per reason, logged at a limited rate, and the host carries on', async () => {
    const host = await live();
    const bad: Buffer[] = [Buffer.alloc(0), Buffer.from([99, 1]), Buffer.from([57, 1, 200, 0]), Buffer.from([130, 12, 0]), Buffer.from([53, 1, 2])];
    const total = 10_000;
    let sent = 0;
    // Flow control: wait for the plugin to have counted a batch before sending the next (no loss on loopback).
    while (sent < total) {
      for (let i = 0; i < 500; i++, sent++) fake!.sendRaw(bad[sent % bad.length]!);
      await until(`${sent} decode errors counted`, () => (sourceStatus(host).decodeErrors as number) >= sent);
    }
    expect(await host.metric('acudp_decode_errors_total', { reason: 'unknown_id' })).toBe(total / 5);
    expect(await host.metric('acudp_decode_errors_total', { reason: 'empty' })).toBe(total / 5);
    expect(await host.metric('acudp_decode_errors_total', { reason: 'string_overrun' })).toBe(total / 5);
    expect(await host.metric('acudp_decode_errors_total', { reason: 'unknown_collision_subtype' })).toBe(total / 5);
    expect(await host.metric('acudp_decode_errors_total', { reason: 'truncated' })).toBe(total / 5);
    expect(await host.metric('acgateway_bad_input_total', { plugin: 'acudp', kind: 'datagram_unknown_id' })).toBe(total / 5);
    const warnings = host.logs.filter((l) => l.level === 40 && String(l.msg).startsWith('acudp: skipped a datagram'));
    expect(warnings.length).toBeGreaterThanOrEqual(5);
    expect(warnings.length).toBeLessThan(50);
    expect(warnings.find((w) => w.reason === 'string_overrun')?.msg).toContain('claims 200 characters');
    // Still alive and decoding.
    fake!.chat(0, 'still alive');
    await host.waitFor('acudp/chat', (m) => (m.data as { message: string }).message === 'still alive');
    expect(((await (await fetch(host.urls.health)).json()) as { status: string }).status).toBe('ok');
  });

  it('serves the events to gateway websocket clients', async () => {
    const host = await live({ realtimeIntervalMs: 20 });
    const ws = new WebSocket(host.urls.gateway);
    const frames: Array<{ topic?: string; data?: unknown }> = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ op: 'subscribe', topics: ['acudp/car_update', 'acudp/state'], policy: 'queue' }));
    await until('car updates over the websocket', () => frames.filter((f) => f.topic === 'acudp/car_update').length >= 20);
    expect(frames.some((f) => f.topic === 'acudp/state')).toBe(true);
    // The batched topic carries the same updates, several cars a message.
    const batches = host.published('acudp/car_updates').map((m) => (m.data as { updates: Array<{ type: string; carId: number }> }).updates);
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.every((b) => b.length > 0 && b.every((u) => u.type === 'car_update'))).toBe(true);
    expect(Math.max(...batches.map((b) => new Set(b.map((u) => u.carId)).size))).toBeGreaterThan(1);
    const singles = host.published('acudp/car_update').length;
    await until('every single update also in a batch', () => host.published('acudp/car_updates').flatMap((m) => (m.data as { updates: unknown[] }).updates).length >= singles);
    ws.close();
  });

  it('refuses to start on a port in use, naming it', async () => {
    const { socket: busy, port } = await loopbackUdp();
    const tmp = await tempDir('acudp-plugin-');
    try {
      const file = path.join(tmp.dir, 'never.acudp');
      await expect(createTestHost({ plugins: [acudp({ listenPort: port, record: { file } })] })).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${port}: the port is in use`));
      // The recording that had begun is abandoned, not left half written.
      expect(await fs.readdir(tmp.dir)).toEqual([]);
    } finally {
      busy.close();
      await tmp.remove();
    }
  });

  it('rejects invalid options with the key and what was expected', async () => {
    await expect(createTestHost({ plugins: [acudp({ listenPort: 70000 })] })).rejects.toThrow(/acudp\.listenPort: listenPort must be 0 to 65535/);
    await expect(createTestHost({ plugins: [acudp({ replay: { file: 'x', speed: -1 } } as never)] })).rejects.toThrow(/acudp\.replay\.speed/);
  });
});
