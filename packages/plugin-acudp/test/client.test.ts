import { afterEach, describe, expect, it } from 'vitest';
import { AcUdpClient, AcUdpError, encodeEvent, type AcspEvent } from '@acgateway/plugin-acudp';
import { FakeAcServer } from '@acgateway/plugin-acudp/fake';
import { sleep, until } from '@acgateway/testing';
import { commandsReceived, nextEvent, loopbackUdp } from './helpers.js';

let client: AcUdpClient;
let server: FakeAcServer;

async function pair(serverOptions: ConstructorParameters<typeof FakeAcServer>[0] = {}) {
  client = new AcUdpClient({ listenPort: 0, requestTimeoutMs: 2000 });
  const seen: AcspEvent[] = [];
  client.on('event', (e) => seen.push(e));
  await client.listen();
  server = new FakeAcServer({ cars: 4, pluginPort: client.port, lapMs: 400, loadDelayMs: 20, chatEveryMs: 0, collisionEveryMs: 0, ...serverOptions });
  await server.start();
  client.setServer({ port: server.commandPort });
  await until('every driver loaded', () => seen.filter((e) => e.type === 'client_loaded').length === (serverOptions.drivers ?? 4));
  return seen;
}

afterEach(async () => {
  await server?.stop();
  await client?.close();
});

describe('AcUdpClient against the fake server', () => {
  it('receives the start-up messages and tracks drivers by car id', async () => {
    const seen = await pair();
    expect(seen[0]).toEqual({ type: 'version', protocolVersion: 4 });
    expect(seen[1]).toMatchObject({ type: 'new_session', sessionIndex: 0, sessionCount: 3, name: 'Practice', serverName: 'acgateway fake server 🏁' });
    expect(seen.filter((e) => e.type === 'new_connection').map((e) => (e as { carId: number }).carId)).toEqual([0, 1, 2, 3]);
    const snap = client.state.snapshot();
    expect(snap.protocolVersion).toBe(4);
    expect(snap.session?.name).toBe('Practice');
    expect(snap.cars.map((c) => [c.carId, c.connected, c.loaded])).toEqual([
      [0, true, true],
      [1, true, true],
      [2, true, true],
      [3, true, true],
    ]);
    expect(client.state.cars.get(1)?.driverName).toBe('Zoë Ångström');
  });

  it('answers get-session-info and get-car-info, and turns server ERRORs into AC_ERROR', async () => {
    await pair({ cars: 6, drivers: 4 });
    const current = await client.getSessionInfo();
    expect(current).toMatchObject({ type: 'session_info', sessionIndex: 0, currentSessionIndex: 0, name: 'Practice' });
    expect(await client.getSessionInfo(2)).toMatchObject({ sessionIndex: 2, name: 'Race', sessionType: 3, laps: 5 });
    await expect(client.getSessionInfo(9)).rejects.toMatchObject({ code: 'AC_ERROR', message: expect.stringContaining('out of bounds: 9') });
    const car = await client.getCarInfo(5);
    expect(car).toMatchObject({ type: 'car_info', carId: 5, isConnected: false });
    const jorg = await client.getCarInfo(2);
    expect(jorg).toMatchObject({ isConnected: true, driverName: 'Jörg Müller', driverTeam: 'Team 速い' });
    expect(client.state.cars.get(2)?.driverTeam).toBe('Team 速い');
    await expect(client.getCarInfo(200)).rejects.toMatchObject({ code: 'AC_ERROR', message: expect.stringContaining('index 200 out of bound') });
    // Two concurrent requests, two answers, each to its own promise.
    const [a, b] = await Promise.all([client.getCarInfo(0), client.getCarInfo(1)]);
    expect([a.carId, b.carId]).toEqual([0, 1]);
  });

  it('streams car updates at the requested interval and completes laps with a leaderboard', async () => {
    await pair();
    const updates: number[] = [];
    client.on('car_update', (e) => {
      expect(e.normalizedSplinePos).toBeGreaterThanOrEqual(0);
      expect(e.normalizedSplinePos).toBeLessThan(1);
      updates.push(e.carId);
    });
    await client.setRealtimeInterval(20);
    const lap = await nextEvent(client, 'lap_completed');
    expect(lap.leaderboard).toHaveLength(4);
    expect(lap.lapTimeMs).toBeGreaterThan(200);
    expect(client.state.leaderboard?.carId).toBe(lap.carId);
    expect(client.state.cars.get(lap.carId)?.lastLapMs).toBe(lap.lapTimeMs);
    await until('40 car updates', () => updates.length >= 40);
    expect(new Set(updates)).toEqual(new Set([0, 1, 2, 3]));
    await client.setRealtimeInterval(0);
    await commandsReceived(server, 2);
    await sleep(100);
    const stopped = updates.length;
    await sleep(150);
    expect(updates.length).toBe(stopped);
  });

  it('calls acudpclient-style subscribers and feeds async iterators', async () => {
    await pair();
    const got: string[] = [];
    const subscriber = {
      on_ACSP_CHAT(e: AcspEvent) {
        got.push(`chat:${(e as { message: string }).message}`);
      },
      on_ACSP_CLIENT_EVENT(e: AcspEvent) {
        got.push(`collision:${(e as { kind: string }).kind}`);
      },
    };
    expect(client.subscribe(subscriber)).toBe(true);
    expect(client.subscribe(subscriber)).toBe(false);
    const iter = client.events({ types: ['chat', 'client_event'] });
    server.chat(2, 'salut 👋 𝔘');
    server.collide(1, 2);
    server.collide(3);
    const fromIter: AcspEvent[] = [];
    for await (const e of iter) {
      fromIter.push(e);
      if (fromIter.length === 3) break;
    }
    expect(fromIter.map((e) => e.type)).toEqual(['chat', 'client_event', 'client_event']);
    expect(fromIter[1]).toMatchObject({ kind: 'collision_with_car', carId: 1, otherCarId: 2 });
    expect(fromIter[2]).toMatchObject({ kind: 'collision_with_env', carId: 3, otherCarId: 255 });
    expect(got).toEqual(['chat:salut 👋 𝔘', 'collision:collision_with_car', 'collision:collision_with_env']);
    expect(client.unsubscribe(subscriber)).toBe(true);
    expect(client.unsubscribe(subscriber)).toBe(false);
    server.chat(0, 'after');
    await nextEvent(client, 'chat', (e) => e.message === 'after');
    expect(got).toHaveLength(3);
  });

  it('sends every command; the fake server acts on each', async () => {
    await pair();
    await client.sendChat(1, 'héllo 🏁');
    await client.broadcastChat('Race in 5 min 𝔘');
    await commandsReceived(server, 2);
    expect(server.chatToDrivers).toEqual([
      { carId: 1, message: 'héllo 🏁' },
      { carId: 255, message: 'Race in 5 min 𝔘' },
    ]);
    const closed = nextEvent(client, 'connection_closed');
    await client.kick(3);
    expect((await closed).carId).toBe(3);
    expect(client.state.cars.get(3)?.connected).toBe(false);

    const next = nextEvent(client, 'new_session');
    await client.nextSession();
    expect((await next).sessionIndex).toBe(1);
    const restart = nextEvent(client, 'new_session');
    await client.restartSession();
    expect((await restart).sessionIndex).toBe(1);
    const admin = nextEvent(client, 'new_session');
    await client.adminCommand('/next_session');
    expect((await admin).sessionIndex).toBe(2);
    expect(client.state.session?.name).toBe('Race');

    const set = nextEvent(client, 'session_info');
    await client.setSessionInfo({ sessionIndex: 1, name: 'Quali 🏎', sessionType: 2, laps: 0, timeS: 900, waitTimeS: 0 });
    expect(await set).toMatchObject({ sessionIndex: 1, name: 'Quali 🏎', timeMinutes: 15 });
    expect(server.received.map((c) => c.type)).toEqual([
      'send_chat',
      'broadcast_chat',
      'kick_user',
      'next_session',
      'restart_session',
      'admin_command',
      'set_session_info',
    ]);
  });

  it('refuses out-of-range car ids and texts over 255 characters before sending', async () => {
    await pair();
    const before = server.stats.commands + server.stats.badCommands;
    await expect(client.sendChat(255, 'hi')).rejects.toMatchObject({ code: 'BAD_COMMAND', message: expect.stringContaining('carId must be an integer from 0 to 254') });
    await expect(client.kick(-1)).rejects.toBeInstanceOf(AcUdpError);
    await expect(client.getCarInfo(300)).rejects.toMatchObject({ code: 'BAD_COMMAND' });
    await expect(client.broadcastChat('x'.repeat(256))).rejects.toMatchObject({ code: 'BAD_COMMAND', message: expect.stringContaining('256 characters') });
    await expect(client.adminCommand('🏎'.repeat(300))).rejects.toMatchObject({ code: 'BAD_COMMAND' });
    // A good command after the refused ones: once it arrives, anything sent before it has too (loopback keeps order).
    await client.broadcastChat('ok');
    await commandsReceived(server, before + 1);
    expect(server.received.map((c) => c.type)).toEqual(['broadcast_chat']);
  });
});

describe('AcUdpClient on its own', () => {
  it('times out a request nobody answers', async () => {
    const sink = await loopbackUdp();
    client = new AcUdpClient({ listenPort: 0, serverPort: sink.port });
    await client.listen();
    await expect(client.getSessionInfo(-1, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('no SESSION_INFO') });
    sink.socket.close();
  });

  it('fails listen() on a port in use with a clear error', async () => {
    client = new AcUdpClient({ listenPort: 0 });
    await client.listen();
    const second = new AcUdpClient({ listenPort: client.port });
    await expect(second.listen()).rejects.toMatchObject({ code: 'LISTEN_FAILED', message: expect.stringContaining(`127.0.0.1:${client.port}: the port is in use`) });
  });

  it('refuses commands when not listening (replay)', async () => {
    client = new AcUdpClient();
    await expect(client.nextSession()).rejects.toMatchObject({ code: 'NOT_LISTENING' });
    await expect(client.getCarInfo(1)).rejects.toMatchObject({ code: 'NOT_LISTENING' });
  });

  it('feeds bad datagrams: counted, reported, never thrown; a throwing listener does not stop delivery', async () => {
    client = new AcUdpClient();
    const errors: string[] = [];
    client.on('decode_error', (e) => errors.push(e.reason));
    const listenerErrors: unknown[] = [];
    client.on('listener_error', (err) => listenerErrors.push(err));
    client.on('chat', () => {
      throw new Error('boom');
    });
    const chats: string[] = [];
    client.on('event', (e) => e.type === 'chat' && chats.push(e.message));
    expect(client.feed(Buffer.alloc(0))).toBeUndefined();
    client.feed(Buffer.from([99, 1, 2]));
    client.feed(Buffer.from([57, 1, 200]));
    client.feed(Buffer.from([130, 12, 0, 0]));
    client.feed(encodeEvent({ type: 'chat', carId: 1, message: 'still here' }));
    const trailing: number[] = [];
    client.on('trailing_bytes', (_e, extra) => trailing.push(extra));
    client.feed(Buffer.concat([encodeEvent({ type: 'client_loaded', carId: 1 }), Buffer.from([0, 0])]));
    expect(errors).toEqual(['empty', 'unknown_id', 'string_overrun', 'unknown_collision_subtype']);
    expect(chats).toEqual(['still here']);
    expect(listenerErrors).toHaveLength(1);
    expect(trailing).toEqual([2]);
    expect(client.stats).toMatchObject({ datagrams: 6, events: 2, decodeErrors: 4, trailingBytes: 1, listenerErrors: 1 });
  });

  it('reports each raw datagram, bad ones too, with its arrival time (given, or read from the clock)', () => {
    client = new AcUdpClient();
    const seen: Array<[number | undefined, number]> = [];
    client.on('datagram', (bytes, at) => seen.push([bytes[0], at]));
    const before = Date.now();
    client.feed(encodeEvent({ type: 'client_loaded', carId: 1 }), 1234);
    client.feed(Buffer.from([99]));
    expect(seen[0]).toEqual([58, 1234]);
    expect(seen[1]![0]).toBe(99);
    expect(seen[1]![1]).toBeGreaterThanOrEqual(before);
  });

  it('close() ends iterators and rejects pending requests', async () => {
    const sink = await loopbackUdp();
    client = new AcUdpClient({ listenPort: 0, serverPort: sink.port });
    await client.listen();
    const iter = client.events();
    const looped: AcspEvent[] = [];
    const loop = (async () => {
      for await (const e of client) looped.push(e);
    })();
    client.feed(encodeEvent({ type: 'client_loaded', carId: 2 }));
    const pending = client.getCarInfo(1, { timeoutMs: 5000 });
    expect(await iter.next()).toEqual({ value: { type: 'client_loaded', carId: 2 }, done: false });
    const next = iter.next();
    await client.close();
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
    expect(await next).toEqual({ value: undefined, done: true });
    // The client itself is async-iterable; the loop ends when it closes.
    await loop;
    expect(looped).toEqual([{ type: 'client_loaded', carId: 2 }]);
    sink.socket.close();
  });
});
