import { afterEach, describe, expect, it } from 'vitest';
import { until, type TestHost } from '@acgateway/testing';
import type { DriversPayload, FakeRaceControlServer, ServerStatus, StatePayload, TeamPayload } from '@acgateway/plugin-emperor';
import { ALEX, PRIYA, SAM, badInput, count, latest, startFake, startHost, stopAll } from './helpers.js';

let fake: FakeRaceControlServer | undefined;
let t: TestHost | undefined;
afterEach(stopAll);

const drivers = () => latest<DriversPayload>(t!, 'emperor/main/drivers')!;
const team = () => latest<TeamPayload>(t!, 'emperor/main/team')!;
const state = () => latest<StatePayload>(t!, 'emperor/main/state')!;

describe('emperor plugin against the fake race-control server', () => {
  it('follows a race step by step: snapshot, connections, car updates, laps, leavers, chat, collisions, new session', async () => {
    fake = await startFake();
    t = await startHost([{ name: 'main', url: fake.url, teamTag: '-YORK' }]);

    // 1. A manager that has broadcast nothing yet sends an empty frame: counted, the state stays empty.
    await until('the connection', () => state()?.connection.state === 'open');
    await until('the empty frame', () => t!.logs.some((l) => /no snapshot/.test(String(l.msg))));
    expect(await badInput(t, 'empty_frame')).toBe(1);
    expect(state()).toMatchObject({ hasSnapshot: false, drivers: { connected: 0, disconnected: 0 } });
    expect(t.host.bus.retained('emperor/main/state')).toHaveLength(1);
    expect(fake.handshakes[0]!.origin).toBe(`http://127.0.0.1:${fake.port}`);

    // 2. Two drivers join: 51 then a snapshot each.
    fake.connectDriver(SAM);
    fake.connectDriver(ALEX);
    await until('two drivers', () => drivers()?.connected.length === 2 && state().hasSnapshot);
    expect(t.published('emperor/main/event/new_connection').map((m) => (m.data as { name: string }).name)).toEqual([SAM.name, ALEX.name]);
    expect(drivers().connected.map((d) => [d.name, d.carId, d.position])).toEqual([[SAM.name, 0, 1], [ALEX.name, 1, 2]]);
    expect(team().connected.map((d) => d.name)).toEqual([SAM.name]);
    expect(state()).toMatchObject({ session: { type: 'race', track: 'ks_silverstone' }, drivers: { connected: 2 }, team: 1, lapsRemaining: 20 });

    // 3. Loaded, then a car update (no snapshot follows a 53): the live state moves.
    fake.clientLoaded(SAM.guid);
    fake.carUpdate(SAM.guid, { pos: { X: 10, Y: 1, Z: -20 }, velocity: { X: 30, Y: 0, Z: 40 }, gear: 5, rpm: 7000, splinePos: 0.5 });
    const upd = await t.waitFor<{ guid: string; name: string; speedKmh: number; gear: number }>('emperor/main/event/car_update');
    expect(upd.data).toMatchObject({ server: 'main', guid: SAM.guid, name: SAM.name, speedKmh: 180, gear: 4 });
    expect((await t.waitFor('emperor/main/event/client_loaded')).data).toMatchObject({ carId: 0, guid: SAM.guid, name: SAM.name });
    const viaVerb = (await t.dispatch('emperor drivers')) as DriversPayload;
    expect(viaVerb.connected[0]).toMatchObject({ name: SAM.name, pos: { x: 10, y: 1, z: -20 }, live: { speedKmh: 180, rpm: 7000, splinePos: 0.5 } });
    expect(viaVerb.connected[0]!.loadedAt).not.toBeNull();

    // 4. Laps: Alex laps faster, so the order changes; a lap event is derived from the snapshots.
    fake.completeLap(SAM.guid, 95_123);
    fake.completeLap(ALEX.guid, 94_000);
    await until('two laps', () => count(t!, 'emperor/main/event/lap_completed') === 2);
    expect(t.published('emperor/main/event/lap_completed').map((m) => m.data)).toEqual([
      expect.objectContaining({ guid: SAM.guid, lapMs: 95_123, laps: 1, personalBest: true }),
      expect.objectContaining({ guid: ALEX.guid, lapMs: 94_000, laps: 1, position: 1, split: '0s' }),
    ]);
    fake.completeLap(SAM.guid, 96_000, { cuts: 2 });
    await until('Sam\'s second lap', () => drivers().connected.find((d) => d.guid === SAM.guid)?.laps === 2);
    expect(drivers().connected.map((d) => [d.name, d.position, d.laps, d.lastLapMs, d.bestLapMs])).toEqual([
      [SAM.name, 1, 2, 96_000, 95_123],
      [ALEX.name, 2, 1, 94_000, 94_000],
    ]);
    // The snapshot carried no speed: the live data of the last car update is kept.
    expect(drivers().connected[0]!.live).toMatchObject({ speedKmh: 180 });
    expect(state().lapsRemaining).toBe(18);

    // 5. Leavers: one with laps stays as disconnected, one without laps goes; the team follows.
    fake.connectDriver(PRIYA);
    await until('Priya', () => team().connected.length === 2);
    fake.disconnectDriver(SAM.guid);
    fake.disconnectDriver(PRIYA.guid);
    await until('two leavers', () => count(t!, 'emperor/main/event/connection_closed') === 2);
    await until('snapshot after the leavers', () => drivers().connected.length === 1);
    expect(drivers().disconnected.map((d) => d.name)).toEqual([SAM.name]);
    expect(team()).toMatchObject({ connected: [], disconnected: [expect.objectContaining({ name: SAM.name, connected: false, laps: 2 })] });
    expect((await t.dispatch('emperor team')) as TeamPayload).toMatchObject({ rule: { tag: '-YORK', teamName: null }, connected: [] });

    // 6. Sam comes back: laps kept. Chat and a collision, with names resolved.
    fake.connectDriver(SAM);
    await until('Sam back', () => drivers().connected.find((d) => d.guid === SAM.guid)?.laps === 2);
    expect(drivers().disconnected).toEqual([]);
    fake.chat(SAM.guid, 'sorry <3');
    fake.chat(SAM.guid, '/admin only');
    fake.collision(SAM.guid, ALEX.guid, 10);
    const chat = await t.waitFor<{ text: string; name: string }>('emperor/main/event/chat');
    expect(chat.data).toMatchObject({ text: 'sorry <3', name: SAM.name });
    const hit = await t.waitFor('emperor/main/event/collision_with_car');
    expect(hit.data).toMatchObject({ guid: SAM.guid, name: SAM.name, otherGuid: ALEX.guid, otherName: ALEX.name, impactSpeedKmh: 36 });
    await until('collision in the snapshot', () => drivers().connected.find((d) => d.guid === SAM.guid)?.collisions.length === 1);

    // 7. A new session clears lap data.
    fake.newSession({ Name: 'Qualify', Type: 2, Time: 15, Laps: 0 });
    const ns = await t.waitFor<{ type: string }>('emperor/main/event/new_session');
    expect(ns.data.type).toBe('qualifying');
    await until('reset laps', () => state().session?.type === 'qualifying' && drivers().connected.every((d) => d.laps === 0));
    expect(state()).toMatchObject({ lapsRemaining: null, sessionEndsAt: expect.any(Number) });

    // 8. acServer restarted.
    fake.serverRestarted(4);
    await until('version', () => state().protocolVersion === 4);
    expect(count(t, 'emperor/main/event/version')).toBe(1);
    expect(count(t, 'emperor/main/event/chat')).toBe(1);
    // The status counts feed the same place as the metric: together, no other kind was counted.
    expect(await badInput(t, 'empty_frame')).toBe(1);
    expect(((await t.dispatch('emperor status')) as { servers: ServerStatus[] }).servers[0]!.badInput).toEqual({ empty_frame: 1 });
  });

  it('reconnects after the server drops the connection, logs it once, and does not replay old chat', async () => {
    fake = await startFake();
    fake.connectDriver(SAM);
    fake.chat(SAM.guid, 'hello');
    t = await startHost([{ name: 'main', url: fake.url }]);
    await until('snapshot', () => drivers()?.connected.length === 1);
    await until('chat', () => count(t!, 'emperor/main/event/chat') === 1);

    fake.dropConnections();
    await until('retrying', () => state().connection.state === 'retrying');
    expect(state().connection.lastError).toMatch(/connection closed \(code 1006, no close frame/);
    expect(drivers().connected).toHaveLength(1);
    await until('reconnected', () => fake!.accepted === 2 && state().connection.state === 'open');
    fake.connectDriver(ALEX);
    await until('fresh snapshot', () => drivers().connected.length === 2);
    const lost = t.logs.filter((l) => /connection lost/.test(String(l.msg)));
    expect(lost).toHaveLength(1);
    expect(lost[0]!.level).toBe(40);
    expect(t.logs.filter((l) => /connected to/.test(String(l.msg)))).toHaveLength(2);
    expect(count(t, 'emperor/main/event/chat')).toBe(1);
    expect((await t.dispatch('emperor status')) as { servers: Array<{ connects: number; snapshots: number }> }).toMatchObject({ servers: [{ connects: 2 }] });
  });
});
