import { afterEach, describe, expect, it } from 'vitest';
import { until, type TestHost } from '@acgateway/testing';
import { encodeFrame, type DriversPayload, type ServerStatus, type StatePayload } from '@acgateway/plugin-emperor';
import { type FakeRaceControlServer } from '@acgateway/plugin-emperor/fake';
import { ALEX, PRIYA, SAM, badInput, latest, startFake, startHost, stopAll } from './helpers.js';

let fake: FakeRaceControlServer | undefined;
let t: TestHost | undefined;
afterEach(stopAll);

const state = () => latest<StatePayload>(t!, 'emperor/main/state')!;
const status = async () => ((await t!.dispatch('emperor status')) as { servers: ServerStatus[] }).servers[0]!;
const warnings = (re: RegExp) => t!.logs.filter((l) => l.level >= 40 && re.test(String(l.msg)));

/** A host following a fake with two drivers and a snapshot. */
async function racing(): Promise<DriversPayload> {
  fake = await startFake();
  fake.connectDriver(SAM);
  fake.connectDriver(ALEX);
  fake.completeLap(SAM.guid, 95_000);
  t = await startHost([{ name: 'main', url: fake.url, teamTag: '-YORK' }]);
  await until('the snapshot', () => latest<DriversPayload>(t!, 'emperor/main/drivers')?.connected.length === 2);
  return (await t.dispatch('emperor drivers')) as DriversPayload;
}

describe('bad frames: logged, counted, never a crash, state unchanged', () => {
  const cases: Array<[string, (f: FakeRaceControlServer) => void, string, RegExp]> = [
    ['invalid JSON', (f) => f.sendRaw('{"EventType":200,"Message":{"SessionInfo":{"Tra'), 'invalid_json', /invalid JSON/],
    ['binary garbage', (f) => f.sendRaw(Buffer.from([0xff, 0xfe, 0x00, 0x7b]), { binary: true }), 'invalid_json', /invalid JSON/],
    ['a JSON value that is no envelope', (f) => f.sendRaw('["EventType", 200]'), 'not_an_envelope', /no integer EventType/],
    ['an unknown EventType', (f) => f.send(99, { CarID: 1 }), 'unknown_event_type', /unknown EventType 99/],
    ['a connection without DriverGUID', (f) => f.send(51, { CarID: 4, DriverName: 'Ghost' }), 'missing_field', /EventType 51 \(new_connection\): missing field DriverGUID/],
    ['a snapshot without SessionInfo', (f) => f.send(200, { ConnectedDrivers: { Drivers: {}, GUIDsInPositionalOrder: null } }), 'missing_field', /missing field SessionInfo/],
    ['a car update without Pos', (f) => f.send(53, { CarID: 0, Gear: 3 }), 'missing_field', /missing field Pos/],
    ['a ClientLoaded that is not a bare number', (f) => f.send(58, { CarID: 0 }), 'bad_field', /EventType 58/],
    ['an empty snapshot frame', (f) => f.sendRaw(''), 'empty_frame', /empty frame/],
  ];

  for (const [what, send, kind, logged] of cases) {
    it(`${what} -> ${kind}`, async () => {
      const before = await racing();
      const stateBefore = state();
      send(fake!);
      await until(`the ${kind} log`, () => t!.logs.some((l) => logged.test(String(l.msg))));
      expect(await badInput(t!, kind)).toBe(1);
      expect((await status()).badInput[kind]).toBe(1);
      // Nothing moved, the connection is still the first one, and the next good frame is used.
      expect(await t!.dispatch('emperor drivers')).toEqual(before);
      expect(state()).toBe(stateBefore);
      expect((await status()).connects).toBe(1);
      fake!.connectDriver(PRIYA);
      await until('the next good frame', () => latest<DriversPayload>(t!, 'emperor/main/drivers')?.connected.length === 3);
      expect(t!.host.state).toBe('running');
    });
  }

  it('keeps a snapshot with one malformed driver, without that driver, and says which', async () => {
    await racing();
    const doc = JSON.parse(encodeFrame(200, fake!.race.snapshot()));
    delete doc.Message.ConnectedDrivers.Drivers[ALEX.guid].CarInfo;
    fake!.sendRaw(JSON.stringify(doc));
    await until('the bad driver', () => latest<DriversPayload>(t!, 'emperor/main/drivers')?.connected.length === 1);
    expect(latest<DriversPayload>(t!, 'emperor/main/drivers')!.connected[0]!.name).toBe(SAM.name);
    expect(await badInput(t!, 'bad_driver')).toBe(1);
    expect(warnings(new RegExp(`ConnectedDrivers\\.Drivers\\.${ALEX.guid}: missing field CarInfo`))).toHaveLength(1);
  });

  it('rate-limits the log of a flood but counts every frame', async () => {
    await racing();
    for (let i = 0; i < 200; i++) fake!.sendRaw(`garbage ${i}`);
    await until('the flood counted', async () => (await badInput(t!, 'invalid_json')) >= 200);
    expect(await badInput(t!, 'invalid_json')).toBe(200);
    expect(warnings(/invalid JSON/)).toHaveLength(1);
  });

  it('ignores a car update for a car no driver holds, without counting it as bad input', async () => {
    await racing();
    fake!.send(53, { CarID: 42, Pos: { X: 1, Y: 2, Z: 3 }, Velocity: { X: 0, Y: 0, Z: 0 }, Gear: 1, EngineRPM: 900, NormalisedSplinePos: 0 });
    fake!.carUpdate(SAM.guid, { pos: { X: 5, Y: 0, Z: 5 } });
    await t!.waitFor('emperor/main/event/car_update');
    expect(t!.published('emperor/main/event/car_update')).toHaveLength(1);
    expect((await status()).ignoredCarUpdates).toBe(1);
    expect(await badInput(t!)).toBe(0);
  });
});
