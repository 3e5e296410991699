import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestHost, sleep, tempDir, until, type TestHost } from '@acgateway/testing';
import rf2, { type FeedMessage, type Rf2Options, type StatusMessage, type TelemetryVehicle, type VehiclesMessage, type ScoringMessage } from '@acgateway/plugin-rf2';
import { Rf2FileWriter } from '@acgateway/plugin-rf2/fake';
import { field, openWith, warnings } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let t: TestHost | undefined;
let writer: Rf2FileWriter;

beforeEach(async () => {
  tmp = await tempDir('acgw-rf2-');
  writer = new Rf2FileWriter({ dir: tmp.dir });
});
afterEach(async () => {
  await t?.stop();
  t = undefined;
  writer.close();
  await tmp.remove();
});

async function start(options: Partial<Rf2Options> = {}): Promise<TestHost> {
  t = await createTestHost({ plugins: [rf2({ dir: tmp.dir, ...options, feed: { port: 0, ...options.feed } })] });
  return t;
}

/** The core's acgateway_bad_input_total series for this plugin and kind. */
const badInput = (h: TestHost, kind: string) => h.metric('acgateway_bad_input_total', { plugin: 'rf2', kind });

function statuses(h: TestHost): StatusMessage[] {
  return h.published('rf2/status').map((m) => m.data as StatusMessage);
}

/** Waits for a status published after the first `from` ones. */
async function waitStatus(h: TestHost, state: StatusMessage['state'], from = 0, ms = 5000): Promise<StatusMessage> {
  await until(`rf2/status ${state} (seen: ${statuses(h).map((s) => s.state).join(', ')})`, () => statuses(h).slice(from).some((s) => s.state === state), ms);
  return statuses(h).slice(from).find((s) => s.state === state)!;
}


describe('rf2 plugin', () => {
  it('publishes the player, telemetry of every vehicle, scoring and a retained status from mapped files', async () => {
    openWith(writer);
    const h = await start();
    const status = await waitStatus(h, 'connected');
    expect(status).toMatchObject({ reader: 'mmap', reason: 'player "Tomáš Novák" (mID 5) in Porsche 911 GT3 R #5' });
    expect(status.telemetry).toBe(`${tmp.dir}/$rFactor2SMMP_Telemetry$`);
    const player = await h.waitFor<FeedMessage>('rf2/player');
    expect(JSON.stringify(player.data)).toBe('{"driverName":"Tomáš Novák","vehicleName":"Porsche 911 GT3 R #5","place":2,"gear":3,"brake":0.25,"throttle":0.42}');
    const tel = (await h.waitFor<TelemetryVehicle>('rf2/telemetry')).data;
    expect(tel).toMatchObject({ id: 5, lapNumber: 4, gear: 3, rpm: 7000, maxRpm: 9000, unfilteredThrottle: 0.5, unfilteredBrake: 0.3, fuelL: 30, fuelCapacityL: 100, speedMs: 5, speedKmh: 18, trackName: 'Spa' });
    const veh = (await h.waitFor<VehiclesMessage>('rf2/vehicles')).data;
    expect(veh.numVehicles).toBe(3);
    expect(veh.vehicles.map((v) => [v.id, v.driverName, v.place, v.isPlayer])).toEqual([
      [2, 'Bo', 3, false],
      [5, 'Tomáš Novák', 2, true],
      [9, 'Ana', 1, false],
    ]);
    const sco = (await h.waitFor<ScoringMessage>('rf2/scoring')).data;
    expect(sco).toMatchObject({ trackName: 'Spa', sessionKind: 'race', gamePhaseName: 'green', numVehicles: 3, lapLengthM: 7004, endTimeS: 3600 });
    expect(sco.vehicles.find((v) => v.isPlayer)?.driverName).toBe('Tomáš Novák');
    expect(h.host.bus.last('rf2/status')?.data).toMatchObject({ state: 'connected' });

    // A gateway client gets the retained status at once and live telemetry as valid JSON.
    const ws = new WebSocket(h.urls.gateway);
    const frames: Array<{ topic: string; data: any }> = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ op: 'subscribe', topics: ['rf2/status', 'rf2/telemetry'] }));
    await until('retained status', () => frames.some((f) => f.topic === 'rf2/status'));
    writer.writeTelemetry(field().telemetry);
    await until('gateway frames', () => frames.some((f) => f.topic === 'rf2/status') && frames.some((f) => f.topic === 'rf2/telemetry'));
    ws.close();

    const reply = (await h.dispatch('rf2 status')) as any;
    expect(reply.state).toBe('connected');
    expect(reply.counters.telemetry.fresh).toBeGreaterThan(0);
    expect(reply.feed.urls[0]).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    expect(((await h.dispatch('rf2 player')) as any).feed.place).toBe(2);
  });

  it('publishes scoring at most 5 times a second and telemetry only for new frames', async () => {
    openWith(writer);
    const h = await start();
    await waitStatus(h, 'connected');
    const s0 = h.published('rf2/scoring').length;
    const t0 = h.published('rf2/telemetry').length;
    const f = field();
    const end = Date.now() + 1000;
    let frames = 0;
    while (Date.now() < end) {
      writer.writeScoring(f.scoring); // 20 Hz, four times what the plugin writes
      if (++frames % 2 === 0) writer.writeTelemetry(f.telemetry);
      await sleep(50);
    }
    const scoring = h.published('rf2/scoring').length - s0;
    const telemetry = h.published('rf2/telemetry').length - t0;
    expect(scoring).toBeGreaterThanOrEqual(2);
    expect(scoring).toBeLessThanOrEqual(7);
    // About 10 telemetry frames were written in that second; a poller publishing every poll would give ~50.
    expect(telemetry).toBeGreaterThanOrEqual(3);
    expect(telemetry).toBeLessThanOrEqual(14);
  });

  it('follows rF2 quitting and coming back: files removed mid-run, then recreated', async () => {
    const h = await start();
    const first = await waitStatus(h, 'not_running');
    expect(first.reason).toContain('$rFactor2SMMP_Telemetry$ does not exist');
    expect(h.published('rf2/player')).toHaveLength(0);
    openWith(writer);
    await waitStatus(h, 'connected');
    const seen = statuses(h).length;
    writer.remove();
    const gone = await waitStatus(h, 'not_running', seen);
    expect(gone.reason).toContain('does not exist');
    await expect(h.dispatch('rf2 player')).rejects.toMatchObject({ code: 'NOT_RUNNING' });
    const again = statuses(h).length;
    openWith(writer, field({ player: { gear: 5 } }));
    await waitStatus(h, 'connected', again);
    await h.waitFor<FeedMessage>('rf2/player', (m) => m.data.gear === 5);
    // One log line per state change, not one per poll.
    const stateLogs = h.logs.filter((l) => l.plugin === 'rf2' && (l.msg === 'rF2 not running' || l.msg === 'rF2 player found'));
    expect(stateLogs.length).toBe(4);
  });

  it('says no player when the player is in scoring but absent from telemetry', async () => {
    writer.open();
    const f = field();
    writer.writeScoring(f.scoring);
    writer.writeTelemetry({ vehicles: f.telemetry.vehicles.filter((v) => v.id !== 5) });
    const h = await start();
    const s = await waitStatus(h, 'no_player');
    expect(s.reason).toBe('the player (mID 5, "Tomáš Novák") is in scoring but not among the 2 vehicles in telemetry');
    await sleep(200);
    expect(h.published('rf2/player')).toHaveLength(0);
    expect(h.published('rf2/telemetry')).toHaveLength(0);
    // The other cars are still published.
    expect((await h.waitFor<VehiclesMessage>('rf2/vehicles')).data.vehicles.map((v) => v.id)).toEqual([2, 9]);
    await expect(h.dispatch('rf2 player')).rejects.toMatchObject({ code: 'NO_PLAYER' });
    writer.writeTelemetry(f.telemetry);
    await waitStatus(h, 'connected');
  });

  it('treats files shorter than the layout as rF2 not running, counts them and warns rate-limited', async () => {
    writer = new Rf2FileWriter({ dir: tmp.dir, sizes: { Telemetry: 241679 } });
    writer.open();
    const h = await start();
    const s = await waitStatus(h, 'not_running');
    expect(s.reason).toContain('is 241679 bytes, shorter than the 241680-byte Telemetry layout');
    await sleep(2300); // a new attempt every second
    expect(await badInput(h, 'short_mapping')).toBeGreaterThanOrEqual(3);
    expect(warnings(h.logs, 'shorter than')).toHaveLength(1);
    expect(statuses(h)).toHaveLength(1);
  });

  it('counts mNumVehicles that is negative or over 128 and keeps going', async () => {
    writer.open();
    const f = field();
    writer.writeScoring(f.scoring);
    writer.writeTelemetry({ ...f.telemetry, numVehicles: -3 });
    const h = await start();
    const s = await waitStatus(h, 'no_player');
    expect(s.reason).toContain('not among the 0 vehicles in telemetry');
    await until('bad count counted', async () => (await badInput(h, 'num_vehicles')) >= 1);
    expect(warnings(h.logs, 'mNumVehicles is -3 (negative); using 0')).toHaveLength(1);
    // Over 128 in scoring: clamped, the player (record 2) is still found.
    writer.writeScoring({ ...f.scoring, numVehicles: 5000 });
    writer.writeTelemetry(f.telemetry);
    expect((await h.waitFor<ScoringMessage>('rf2/scoring', (m) => m.data.numVehicles === 128)).data.vehicles).toHaveLength(128);
    await waitStatus(h, 'connected');
    expect(warnings(h.logs, 'mNumVehicles is 5000 (over 128); using 128')).toHaveLength(1);
  });

  it('publishes NaN and infinite floats as null, never as invalid JSON', async () => {
    openWith(writer, field({ player: { throttle: NaN, brake: Infinity, rpm: -Infinity, fuelL: NaN } }));
    const h = await start();
    const player = await h.waitFor<FeedMessage>('rf2/player');
    expect(player.data).toMatchObject({ throttle: null, brake: null });
    const tel = await h.waitFor<TelemetryVehicle>('rf2/telemetry');
    expect(tel.data).toMatchObject({ rpm: null, fuelL: null, throttle: null });
    expect(await badInput(h, 'non_finite_float')).toBeGreaterThanOrEqual(1);
    const ws = new WebSocket(h.urls.endpoints['rf2/feed']![0]!);
    const text = await new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
    ws.close();
    expect(text).toBe('{"driverName":"Tomáš Novák","vehicleName":"Porsche 911 GT3 R #5","place":2,"gear":3,"brake":null,"throttle":null}');
  });

  it('never publishes a buffer that stays torn for seconds, warns rate-limited, and resumes', async () => {
    openWith(writer);
    const h = await start();
    await waitStatus(h, 'connected');
    await h.waitFor('rf2/telemetry');
    // A write starts and does not finish (a crashed or stalled writer): the new gear must not leak out.
    writer.beginWrite('Telemetry');
    writer.writeRaw('Telemetry', 16 + 1888 + 352, Buffer.from([7, 0, 0, 0]));
    const before = h.published('rf2/telemetry').length;
    await sleep(2500);
    expect(h.published('rf2/telemetry').length).toBe(before);
    expect(h.published('rf2/telemetry').some((m) => (m.data as TelemetryVehicle).gear === 7)).toBe(false);
    expect(await h.metric('acgateway_rf2_torn_copies_total', { buffer: 'Telemetry' })).toBeGreaterThan(50);
    expect(await badInput(h, 'torn_buffer')).toBeGreaterThan(50);
    expect(warnings(h.logs, 'stays mid-write')).toHaveLength(1);
    expect(statuses(h).at(-1)!.state).toBe('connected');
    writer.endWrite('Telemetry');
    await h.waitFor<TelemetryVehicle>('rf2/telemetry', (m) => m.data.gear === 7);
  });
});
