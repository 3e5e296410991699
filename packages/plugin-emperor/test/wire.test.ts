import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, formatGoDuration, formatGoTime, parseGoDuration, parseGoTime } from '@acgateway/plugin-emperor';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

function decoded(text: string) {
  const r = decodeFrame(text);
  if (!r.ok) throw new Error(`expected a decoded frame, got ${r.kind}: ${r.message}`);
  return r;
}

describe('Go encodings', () => {
  it('reads RFC 3339 times with nanoseconds and offsets, and the zero time as null', () => {
    expect(parseGoTime('2025-11-27T10:00:00.123456789Z')).toBe(Date.UTC(2025, 10, 27, 10, 0, 0, 123));
    expect(parseGoTime('2025-11-27T11:00:00.5+01:00')).toBe(Date.UTC(2025, 10, 27, 10, 0, 0, 500));
    expect(parseGoTime('0001-01-01T00:00:00Z')).toBeNull();
    expect(parseGoTime('yesterday')).toBeNull();
    expect(parseGoTime(42)).toBeNull();
    expect(formatGoTime(Date.UTC(2025, 10, 27, 10, 0, 0, 120))).toBe('2025-11-27T10:00:00.12Z');
    expect(formatGoTime(Date.UTC(2025, 10, 27, 10, 0, 0, 0))).toBe('2025-11-27T10:00:00Z');
    expect(formatGoTime(null)).toBe('0001-01-01T00:00:00Z');
  });

  it('writes and reads Go duration texts', () => {
    const cases: Array<[number, string]> = [
      [0, '0s'],
      [500e6, '500ms'],
      [6_814e6, '6.814s'],
      [62_345e6, '1m2.345s'],
      [3600e9, '1h0m0s'],
      [-1_500e6, '-1.5s'],
    ];
    for (const [ns, text] of cases) {
      expect(formatGoDuration(ns)).toBe(text);
      expect(parseGoDuration(text)).toBe(ns / 1e6);
    }
    expect(parseGoDuration('1 lap')).toBeNull();
    expect(parseGoDuration('')).toBeNull();
  });
});

describe('decodeFrame: the snapshot (200)', () => {
  it('decodes a race with connected and disconnected drivers', () => {
    const r = decoded(fixture('race-snapshot.json'));
    expect(r.problems).toEqual([]);
    expect(r.event.eventType).toBe(200);
    if (r.event.eventType !== 200) return;
    const s = r.event.data;
    expect(s.session).toMatchObject({ serverName: 'York FS Test & Dev', track: 'ks_silverstone', trackConfig: 'gp', type: 'race', laps: 20, roadTempC: 24 });
    expect(s.track).toMatchObject({ name: 'Silverstone GP', pitboxes: 40, geotags: ['52.0786 N', '-1.0169 W'] });
    expect(s.trackMap).toMatchObject({ scaleFactor: 2.5, offsetX: 1050.5, offsetZ: 1280.25 });
    expect(s.sessionStartedAt).toBe(Date.UTC(2025, 10, 27, 10, 0, 0, 123));
    expect(s.realtimeIntervalMs).toBe(500);
    expect(s.chat).toEqual([{ carId: 0, guid: '76561198000000001', name: 'Sam Carter-YORK', text: 'good luck <3', at: Date.UTC(2025, 10, 27, 10, 0, 5, 500) }]);
    expect(s.connected.map((d) => d.name)).toEqual(['Sam Carter-YORK', 'Alex Jones', 'Priya Patel-YORK']);
    const [sam, alex, priya] = s.connected;
    expect(sam).toMatchObject({
      guid: '76561198000000001', carId: 0, connected: true, position: 1, split: '0s', splitMs: 0, laps: 5, totalLaps: 5,
      bestLapMs: 102_481, lastLapMs: 103_002, totalLapTimeMs: 520_000, topSpeedBestLapKmh: 178.9,
      pos: { x: -120.5, y: 3.25, z: 410 }, teamName: null, inPits: null,
    });
    expect(sam!.collisions).toEqual([{ id: '2b1c4f9e-1111-4a1b-9c1d-000000000001', type: 'with environment', at: Date.UTC(2025, 10, 27, 10, 3), otherDriverGuid: '', otherDriverName: '', speedKmh: 43.20000076293945 }]);
    expect(alex).toMatchObject({ split: '6.814s', splitMs: 6814, splitLaps: null, otherCars: ['ks_abarth500'] });
    expect(priya).toMatchObject({ split: '2 laps', splitMs: null, splitLaps: 2, loadedAt: null, lastSeenAt: null, pos: null, bestLapMs: null, lastLapMs: 110_000 });
    expect(s.disconnected).toHaveLength(1);
    expect(s.disconnected[0]).toMatchObject({ name: 'Old Timer-YORK', connected: false, bestLapMs: 105_000 });
    expect(s.carIdToGuid['5']).toBe('76561198000000009');
  });

  it('decodes an empty practice snapshot with null lists', () => {
    const r = decoded(fixture('empty-practice.json'));
    if (r.event.eventType !== 200) throw new Error('not a snapshot');
    expect(r.event.data).toMatchObject({ connected: [], disconnected: [], chat: [], realtimeIntervalMs: null, bestLapMs: null });
    expect(r.event.data.session.type).toBe('practice');
    expect(r.event.data.track).toMatchObject({ geotags: [], tags: [], pitboxes: 0 });
    expect(r.event.data.sessionStartedAt).toBe(Date.UTC(2025, 10, 27, 7));
  });

  it('keeps the rest of a snapshot when one driver is malformed, and says which', () => {
    const doc = JSON.parse(fixture('race-snapshot.json'));
    delete doc.Message.ConnectedDrivers.Drivers['76561198000000002'].CarInfo.CarID;
    const r = decoded(JSON.stringify(doc));
    if (r.event.eventType !== 200) throw new Error('not a snapshot');
    expect(r.event.data.connected.map((d) => d.carId)).toEqual([0, 2]);
    expect(r.problems).toEqual([{ kind: 'bad_driver', message: expect.stringContaining('ConnectedDrivers.Drivers.76561198000000002: missing field CarInfo.CarID') }]);
  });

  it('reads the v2 additions when present', () => {
    const doc = JSON.parse(fixture('race-snapshot.json'));
    const d = doc.Message.ConnectedDrivers.Drivers['76561198000000002'];
    Object.assign(d, { IsInPits: true, NumPits: 2, NumLongPits: 1, DRSActive: false, BlueFlag: false, Ping: 48, RacePosition: 2 });
    Object.assign(d.CarInfo, { Tyres: 'M', TeamName: 'GT3 7 | York Racing', RaceNumber: 7 });
    doc.Message.BestLap = 102481000000;
    const r = decoded(JSON.stringify(doc));
    if (r.event.eventType !== 200) throw new Error('not a snapshot');
    expect(r.event.data.bestLapMs).toBe(102_481);
    expect(r.event.data.connected[1]).toMatchObject({ inPits: true, numPits: 2, numLongPits: 1, drsActive: false, pingMs: 48, racePosition: 2, tyres: 'M', teamName: 'GT3 7 | York Racing', raceNumber: 7 });
  });
});

describe('decodeFrame: incremental events', () => {
  const carInfo = { CarID: 3, DriverName: 'Jo Bloggs-YORK', DriverGUID: '765', CarModel: 'ks_mazda_mx5_cup', CarSkin: 'a', DriverInitials: 'BLO', CarName: 'Mazda MX5 Cup' };
  const vec = (X: number, Y: number, Z: number) => ({ X, Y, Z });

  it('decodes every forwarded EventType', () => {
    const cases: Array<[number, unknown, unknown]> = [
      [10, { CarID: 1, OtherCarID: 2, ImpactSpeed: 10, WorldPos: vec(1, 2, 3), RelPos: vec(0, 0, 1) }, { carId: 1, otherCarId: 2, impactSpeedMps: 10, impactSpeedKmh: 36, worldPos: { x: 1, y: 2, z: 3 } }],
      [11, { CarID: 1, ImpactSpeed: 5, WorldPos: vec(1, 2, 3), RelPos: vec(0, 0, 1) }, { carId: 1, otherCarId: null, impactSpeedKmh: 18 }],
      [50, { Version: 4, Track: 'magione', TrackConfig: '', Name: 'Qualify', Type: 2, Time: 10, Laps: 0, EventType: 50 }, { track: 'magione', type: 'qualifying', timeMinutes: 10 }],
      [51, { ...carInfo, EventType: 51 }, { carId: 3, guid: '765', name: 'Jo Bloggs-YORK' }],
      [52, { ...carInfo, EventType: 52 }, { carId: 3, guid: '765' }],
      [53, { CarID: 3, Pos: vec(10, 1, 20), Velocity: vec(30, 5, 40), Gear: 4, EngineRPM: 6500, NormalisedSplinePos: 0.25 }, { carId: 3, speedKmh: 180, gear: 3, rpm: 6500, splinePos: 0.25, pos: { x: 10, y: 1, z: 20 } }],
      [56, 4, { protocolVersion: 4 }],
      [57, { CarID: 3, Message: 'hi', DriverGUID: '765', DriverName: 'Jo', Time: '2025-11-27T10:00:00Z' }, { carId: 3, text: 'hi', at: Date.UTC(2025, 10, 27, 10) }],
      [58, 3, { carId: 3 }],
    ];
    for (const [code, message, expected] of cases) {
      const r = decoded(encodeFrame(code, message));
      expect(r.event.eventType, `EventType ${code}`).toBe(code);
      expect(r.event.data, `EventType ${code}`).toMatchObject(expected as object);
    }
  });

  it('passes on EventTypes the server is not known to forward, undecoded', () => {
    const r = decoded('{"EventType":73,"Message":{"CarID":1,"LapTime":90000}}');
    expect(r.event).toEqual({ eventType: 73, name: 'lap_completed_udp', data: { raw: { CarID: 1, LapTime: 90000 } } });
    const names = { 54: 'car_info', 55: 'end_session', 59: 'session_info', 60: 'error', 130: 'client_event' };
    for (const [code, name] of Object.entries(names)) {
      expect(decoded(`{"EventType":${code},"Message":[1]}`).event, `EventType ${code}`).toEqual({ eventType: Number(code), name, data: { raw: [1] } });
    }
  });
});

describe('decodeFrame: bad input', () => {
  const cases: Array<[string, string | Uint8Array, string, RegExp]> = [
    ['empty frame', '', 'empty_frame', /no snapshot/],
    ['invalid JSON', '{"EventType":200,"Mess', 'invalid_json', /invalid JSON/],
    ['binary garbage', new Uint8Array([0xff, 0x00, 0x13]), 'invalid_json', /invalid JSON/],
    ['not an object', '[1,2,3]', 'not_an_envelope', /EventType/],
    ['EventType as string', '{"EventType":"200","Message":{}}', 'not_an_envelope', /EventType/],
    ['unknown EventType', '{"EventType":99,"Message":{}}', 'unknown_event_type', /unknown EventType 99/],
    ['no Message', '{"EventType":58}', 'missing_field', /missing field Message/],
    ['snapshot without SessionInfo', '{"EventType":200,"Message":{"ConnectedDrivers":{"Drivers":{}}}}', 'missing_field', /missing field SessionInfo/],
    ['connection without GUID', '{"EventType":51,"Message":{"CarID":1,"DriverName":"x"}}', 'missing_field', /DriverGUID/],
    ['car update without position', '{"EventType":53,"Message":{"CarID":1}}', 'missing_field', /Pos/],
    ['client loaded as object', '{"EventType":58,"Message":{"CarID":1}}', 'bad_field', /58/],
    ['negative car id', '{"EventType":58,"Message":-1}', 'bad_field', /58/],
  ];
  for (const [what, input, kind, message] of cases) {
    it(`rejects ${what} as ${kind}`, () => {
      const r = decodeFrame(input);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.kind).toBe(kind);
      expect(r.message).toMatch(message);
    });
  }
});
