import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeDatagram, encodeCommand, type AcspCommand, type AcspEvent, type EventName, type EventOf } from '@acgateway/plugin-acudp';
import { FakeAcServer } from '@acgateway/plugin-acudp/fake';
import { sleep, until } from '@acgateway/testing';
import { loopbackUdp } from './helpers.js';

/** A bare UDP socket standing in for the plugin: it decodes what the fake sends with the protocol module. */
async function plugin() {
  const { socket, port } = await loopbackUdp();
  const events: Array<AcspEvent & { at: number }> = [];
  const bad: Buffer[] = [];
  socket.on('message', (msg) => {
    const r = decodeDatagram(msg);
    if (r.ok && r.length === msg.length) events.push({ ...r.value, at: Date.now() });
    else bad.push(msg);
  });
  const of = <N extends EventName>(type: N) => events.filter((e) => e.type === type) as unknown as Array<EventOf<N> & { at: number }>;
  return { socket, events, bad, of, port };
}

let server: FakeAcServer | undefined;
let sock: dgram.Socket | undefined;
afterEach(async () => {
  await server?.stop();
  sock?.close();
  server = undefined;
  sock = undefined;
});

function send(cmd: AcspCommand | Buffer) {
  const buf = Buffer.isBuffer(cmd) ? cmd : encodeCommand(cmd);
  sock!.send(buf, server!.commandPort, '127.0.0.1');
}

describe('FakeAcServer', () => {
  it('advances sessions on its own: timed, then a race over laps with a wait, END_SESSION between', async () => {
    const p = await plugin();
    sock = p.socket;
    server = new FakeAcServer({
      cars: 3,
      pluginPort: p.port,
      lapMs: 150,
      loadDelayMs: 10,
      chatEveryMs: 0,
      collisionEveryMs: 0,
      sessions: [
        { name: 'Practice', type: 1, timeMinutes: 10, durationMs: 300 },
        { name: 'Race', type: 3, laps: 2, waitTimeMs: 200 },
      ],
    });
    await server.start();
    await until('practice, race, practice again', () => p.of('new_session').length >= 3, 8000);
    const sessions = p.of('new_session');
    expect(sessions.slice(0, 3).map((s) => s.name)).toEqual(['Practice', 'Race', 'Practice']);
    expect(sessions[1]!.elapsedMs).toBeLessThanOrEqual(0);
    expect(sessions[1]!.elapsedMs).toBeGreaterThanOrEqual(-200);
    expect(sessions[1]!.waitTime).toBe(200);
    expect(p.of('end_session').length).toBeGreaterThanOrEqual(2);
    expect(p.of('end_session')[0]!.resultsFile).toMatch(/^results\/\d+_\d+_\d+_\d+_\d+_PRACTICE\.json$/);
    const raceStart = sessions[1]!.at;
    const raceEnd = sessions[2]!.at;
    const raceLaps = p.of('lap_completed').filter((l) => l.at >= raceStart && l.at <= raceEnd);
    expect(raceLaps.length).toBeGreaterThanOrEqual(3);
    const last = raceLaps[raceLaps.length - 1]!;
    expect(last.leaderboard).toHaveLength(3);
    const laps = last.leaderboard.map((e) => e.laps);
    expect([...laps].sort((a, b) => b - a)).toEqual(laps);
    expect(last.leaderboard.some((e) => e.completed)).toBe(true);
    expect(p.bad).toEqual([]);
  });

  it('midSession: joins a session under way, every car loaded with laps done, spread around the lap', async () => {
    const p = await plugin();
    sock = p.socket;
    // Five-minute laps: from a standing start no lap could complete during this test.
    server = new FakeAcServer({ cars: 6, lapMs: 300_000, pluginPort: p.port, loadDelayMs: 60_000, chatEveryMs: 0, collisionEveryMs: 0, midSession: true });
    await server.start();
    await until('every driver loaded at once', () => p.of('client_loaded').length === 6);
    send({ type: 'realtimepos_interval', intervalMs: 20 });
    await until('car updates of every car', () => new Set(p.of('car_update').map((u) => u.carId)).size === 6);
    const spline = new Map(p.of('car_update').map((u) => [u.carId, u.normalizedSplinePos]));
    expect(new Set([...spline.values()].map((x) => x.toFixed(2))).size).toBe(6);
    // The car nearest the line crosses it soon, and the standings it brings list laps already done.
    const lap = await until('a lap', () => p.of('lap_completed')[0], 15_000);
    expect(lap.lapTimeMs).toBeGreaterThan(250_000);
    expect(lap.leaderboard.map((e) => e.laps).every((n) => n >= 2)).toBe(true);
    expect(p.bad).toEqual([]);
  });

  it('sends car updates at the requested interval, for loaded cars only, and stops at 0', async () => {
    const p = await plugin();
    sock = p.socket;
    server = new FakeAcServer({ cars: 6, drivers: 4, pluginPort: p.port, loadDelayMs: 10, chatEveryMs: 0, collisionEveryMs: 0 });
    await server.start();
    await until('four drivers loaded', () => p.of('client_loaded').length === 4);
    send({ type: 'realtimepos_interval', intervalMs: 10 });
    await until('a car update', () => p.of('car_update').length > 0);
    const from = p.of('car_update').length;
    await sleep(1000);
    const inWindow = p.of('car_update').length - from;
    // 4 cars x 100 Hz over one second; wide tolerance, this is not a timing test.
    expect(inWindow).toBeGreaterThan(200);
    expect(inWindow).toBeLessThan(600);
    expect(new Set(p.of('car_update').map((u) => u.carId))).toEqual(new Set([0, 1, 2, 3]));
    for (const u of p.of('car_update').slice(-8)) {
      expect(u.normalizedSplinePos).toBeGreaterThanOrEqual(0);
      expect(u.normalizedSplinePos).toBeLessThan(1);
      expect(u.gear).toBeGreaterThanOrEqual(1);
    }
    send({ type: 'realtimepos_interval', intervalMs: 0 });
    await until('car updates turned off', () => server!.realtimeIntervalMs === 0);
    await sleep(50);
    const stopped = p.of('car_update').length;
    await sleep(150);
    expect(p.of('car_update').length).toBe(stopped);
  });

  it('makes chat, collisions and driver churn on its own when asked to', async () => {
    const p = await plugin();
    sock = p.socket;
    server = new FakeAcServer({ cars: 6, drivers: 4, pluginPort: p.port, loadDelayMs: 5, chatEveryMs: 60, collisionEveryMs: 60, churnEveryMs: 100, tickMs: 10 });
    await server.start();
    await until('random events', () => p.of('chat').length >= 2 && p.of('client_event').length >= 2 && p.of('connection_closed').length >= 1 && p.of('new_connection').length >= 5);
    expect(p.bad).toEqual([]);
  });

  it('answers bad indexes with ERROR messages and counts malformed commands', async () => {
    const p = await plugin();
    sock = p.socket;
    server = new FakeAcServer({ cars: 4, pluginPort: p.port, chatEveryMs: 0, collisionEveryMs: 0 });
    await server.start();
    send({ type: 'kick_user', carId: 200 });
    send({ type: 'get_car_info', carId: 99 });
    send({ type: 'get_session_info', sessionIndex: 7 });
    send({ type: 'set_session_info', sessionIndex: 9, name: 'x', sessionType: 1, laps: 0, timeS: 60, waitTimeS: 0 });
    send({ type: 'send_chat', carId: 50, message: 'hi' });
    send(Buffer.from([202, 1, 9]));
    send(Buffer.from([99]));
    await until('five errors and two bad commands', () => p.of('server_error').length === 5 && server!.stats.badCommands === 2, 3000);
    expect(p.of('server_error').map((e) => e.message)).toEqual([
      'ERROR: ACSP_KICK_USER index 200 out of bound',
      'ERROR: ACSP_GET_CAR_INFO index 99 out of bound',
      'ERROR: ACSP_GET_SESSION_INFO out of bounds: 7',
      'ERROR: ACSP_SET_SESSION_INFO out of bounds: 9',
      'ERROR: ACSP_SEND_CHAT index 50 out of bound',
    ]);
  });

  it('can be bound before it starts, and stops cleanly twice', async () => {
    server = new FakeAcServer({ commandPort: 0 });
    const port = await server.listen();
    expect(port).toBeGreaterThan(0);
    expect(server.commandPort).toBe(port);
    expect(server.running).toBe(false);
    await server.stop();
    await server.stop();
    expect(server.commandPort).toBe(0);
    expect(() => new FakeAcServer({ cars: 0 })).toThrow(/cars must be 1 to 254/);
  });
});
