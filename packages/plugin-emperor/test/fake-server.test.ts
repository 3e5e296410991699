import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { sleep, until, type TestHost } from '@acgateway/testing';
import { decodeFrame, type DriversPayload, type LapCompleted } from '@acgateway/plugin-emperor';
import { type FakeRaceControlServer } from '@acgateway/plugin-emperor/fake';
import { SAM, badInput, latest, startFake, startHost, stopAll } from './helpers.js';

let fake: FakeRaceControlServer | undefined;
let t: TestHost | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets) s.terminate();
  sockets.length = 0;
  await stopAll();
});

/** A bare client recording raw frames, as a browser's live-timing page would see them. */
async function rawClient(url: string, origin?: string): Promise<{ frames: string[]; pings: () => number; ws: WebSocket }> {
  const ws = new WebSocket(url, origin ? { origin } : {});
  sockets.push(ws);
  const frames: string[] = [];
  let pings = 0;
  ws.on('message', (d) => frames.push(d.toString()));
  ws.on('ping', () => pings++);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { frames, pings: () => pings, ws };
}

describe('FakeRaceControlServer speaks the protocol', () => {
  it('sends an empty frame before any snapshot, then the cached snapshot and stored chat on connect', async () => {
    fake = await startFake({ pingIntervalMs: 30 });
    const first = await rawClient(fake.url);
    await until('the empty frame', () => first.frames.length === 1);
    expect(first.frames[0]).toBe('');

    fake.connectDriver(SAM);
    fake.chat(SAM.guid, 'a < b & c');
    await until('51, 200, 57', () => first.frames.length === 4);
    expect(first.frames.slice(1).map((f) => JSON.parse(f).EventType)).toEqual([51, 200, 57]);
    expect(first.frames[1]!.startsWith('{"EventType":51,"Message":{"CarID":0,"DriverName":"Sam Carter-YORK","DriverGUID":"76561198000000001"')).toBe(true);
    // Go escapes <, > and &.
    expect(first.frames[3]).toContain('a \\u003c b \\u0026 c');

    const second = await rawClient(fake.url);
    await until('snapshot and chat', () => second.frames.length === 2);
    expect(second.frames[0]).toBe(first.frames[2]);
    expect(JSON.parse(second.frames[1]!).EventType).toBe(57);
    const snapshot = JSON.parse(second.frames[0]!).Message;
    expect(Object.keys(snapshot)).toEqual(['SessionInfo', 'TrackMapData', 'TrackInfo', 'SessionStartTime', 'CurrentRealtimePosInterval', 'ChatMessages', 'ChatMessagesMutex', 'ConnectedDrivers', 'DisconnectedDrivers', 'CarIDToGUID']);
    expect(snapshot.ConnectedDrivers.Drivers[SAM.guid].LoadedTime).toBe('0001-01-01T00:00:00Z');
    expect(snapshot.DisconnectedDrivers.GUIDsInPositionalOrder).toBeNull();

    await until('server pings', () => first.pings() >= 2);
    // Like gorilla without a read pump, the fake never answers a client's ping.
    let pongs = 0;
    first.ws.on('pong', () => pongs++);
    first.ws.ping();
    await sleep(100);
    expect(pongs).toBe(0);
  });

  it('refuses a foreign Origin with 403 and accepts a missing one, as gorilla/websocket does', async () => {
    fake = await startFake();
    await expect(rawClient(fake.url, 'https://elsewhere.example')).rejects.toThrow(/403/);
    await expect(rawClient(fake.url)).resolves.toBeTruthy();
    expect(fake.handshakes.map((h) => h.status)).toEqual([403, 101]);
  });
});

describe('live mode (for the demo)', () => {
  it('keeps a plausible race going that the plugin follows without a single bad frame', async () => {
    fake = await startFake({ race: { v2: true } });
    const live = fake.startLive({ drivers: 6, updateIntervalMs: 20, timeScale: 400, lapMs: 90_000, seed: 7 });
    t = await startHost([{ name: 'demo', url: fake.url, teamTag: '-YORK' }]);
    const lap = await t.waitFor<LapCompleted>('emperor/demo/event/lap_completed', undefined, 8000);
    expect(lap.data.lapMs).toBeGreaterThan(80_000);
    expect(lap.data.lapMs).toBeLessThan(100_000);
    await until('car updates', () => t!.published('emperor/demo/event/car_update').length >= 20);
    const drivers = latest<DriversPayload>(t, 'emperor/demo/drivers')!;
    expect(drivers.connected.length).toBeGreaterThanOrEqual(5);
    expect(drivers.connected.every((d) => d.guid && d.carModel)).toBe(true);
    expect(latest<{ connected: unknown[] }>(t, 'emperor/demo/team')!.connected.length).toBeGreaterThanOrEqual(1);
    // The team view is retained: a client that subscribes mid-session has it at once.
    expect(t.host.bus.last('emperor/demo/team')?.retain).toBe(true);
    // Every frame generated decodes cleanly.
    expect(await badInput(t)).toBe(0);
    expect(decodeFrame(JSON.stringify({ EventType: 200, Message: fake.race.snapshot() }))).toMatchObject({ ok: true, problems: [] });
    await until('more ticks', () => live.ticks > 10);
    fake.stopLive();
    const ticks = live.ticks;
    await sleep(100);
    expect(live.ticks).toBe(ticks);
  });
});
