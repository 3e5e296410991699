import { describe, expect, it } from 'vitest';
import {
  Rf2BufferWriter,
  SCORING,
  TELEMETRY,
  clampVehicleCount,
  decodeCp1252,
  decodeScoring,
  decodeTelemetry,
  encodeCp1252,
  findPlayer,
  mappingName,
  newDecodeStats,
} from '@acgateway/plugin-rf2';
import { field } from './helpers.js';

// Absolute file offsets written by hand from the protocol notes, not from layout.ts, so a wrong table fails here.
const tv = (i: number, off: number) => 16 + 1888 * i + off;
const sv = (i: number, off: number) => 560 + 584 * i + off;

describe('layout', () => {
  it('has the mapping sizes and names of plugin 3.7.15.x', () => {
    expect(TELEMETRY.mappingBytes).toBe(241680);
    expect(SCORING.mappingBytes).toBe(75312);
    expect(8 + 8 + 128 * 1888).toBe(TELEMETRY.mappingBytes);
    expect(8 + 4 + 548 + 128 * 584).toBe(SCORING.mappingBytes);
    expect(mappingName('Telemetry')).toBe('$rFactor2SMMP_Telemetry$');
    expect(mappingName('Scoring', '4242')).toBe('$rFactor2SMMP_Scoring$4242');
  });

  it('decodes telemetry written at the documented offsets', () => {
    const b = Buffer.alloc(TELEMETRY.mappingBytes);
    b.writeInt32LE(2, 12);
    b.writeInt32LE(17, tv(1, 0));
    b.writeInt32LE(6, tv(1, 20));
    b.write('Dallara IR-18', tv(1, 32), 'latin1');
    b.write('Indianapolis', tv(1, 96), 'latin1');
    b.writeDoubleLE(1.5, tv(1, 160));
    b.writeDoubleLE(-2.5, tv(1, 176));
    b.writeDoubleLE(3, tv(1, 184));
    b.writeDoubleLE(0, tv(1, 192));
    b.writeDoubleLE(-4, tv(1, 200));
    b.writeInt32LE(-1, tv(1, 352));
    b.writeDoubleLE(8123, tv(1, 356));
    b.writeDoubleLE(0.9, tv(1, 388));
    b.writeDoubleLE(0.1, tv(1, 396));
    b.writeDoubleLE(-0.3, tv(1, 404));
    b.writeDoubleLE(0.2, tv(1, 412));
    b.writeDoubleLE(0.8, tv(1, 420));
    b.writeDoubleLE(0.05, tv(1, 428));
    b.writeDoubleLE(-0.25, tv(1, 436));
    b.writeDoubleLE(0.15, tv(1, 444));
    b.writeDoubleLE(41.5, tv(1, 524));
    b.writeDoubleLE(12000, tv(1, 532));
    b.writeDoubleLE(110, tv(1, 608));
    const f = decodeTelemetry(b, newDecodeStats());
    expect(f.numVehicles).toBe(2);
    expect(f.vehicles[1]).toEqual({
      id: 17,
      lapNumber: 6,
      vehicleName: 'Dallara IR-18',
      trackName: 'Indianapolis',
      elapsedTimeS: 0,
      positionM: { x: 1.5, y: 0, z: -2.5 },
      localVelocityMs: { x: 3, y: 0, z: -4 },
      speedMs: 5,
      speedKmh: 18,
      gear: -1,
      rpm: 8123,
      maxRpm: 12000,
      throttle: 0.8,
      brake: 0.05,
      steering: -0.25,
      clutch: 0.15,
      unfilteredThrottle: 0.9,
      unfilteredBrake: 0.1,
      unfilteredSteering: -0.3,
      unfilteredClutch: 0.2,
      fuelL: 41.5,
      fuelCapacityL: 110,
    });
  });

  it('decodes scoring info and vehicles written at the documented offsets', () => {
    const b = Buffer.alloc(SCORING.mappingBytes);
    b.write('Le Mans', 12, 'latin1');
    b.writeInt32LE(11, 76);
    b.writeDoubleLE(300.5, 80);
    b.writeDoubleLE(86400, 88);
    b.writeInt32LE(0, 96);
    b.writeDoubleLE(13626, 100);
    b.writeInt32LE(2, 116);
    b.writeUInt8(5, 120);
    b.writeUInt8(1, 127);
    b.write('Me', 128, 'latin1');
    b.writeInt32LE(40, sv(1, 0));
    b.write('Zoë', sv(1, 4), 'latin1');
    b.write('Porsche 963', sv(1, 36), 'latin1');
    b.writeInt16LE(12, sv(1, 100));
    b.writeInt8(0, sv(1, 102));
    b.writeDoubleLE(5000.25, sv(1, 104));
    b.writeDoubleLE(211.5, sv(1, 144));
    b.writeDoubleLE(-1, sv(1, 168));
    b.writeUInt8(1, sv(1, 196));
    b.writeInt8(1, sv(1, 197));
    b.writeUInt8(1, sv(1, 198));
    b.writeUInt8(4, sv(1, 199));
    b.write('Hypercar', sv(1, 200), 'latin1');
    const f = decodeScoring(b, newDecodeStats());
    expect(f.info).toEqual({
      trackName: 'Le Mans',
      session: 11,
      sessionKind: 'race',
      currentTimeS: 300.5,
      endTimeS: 86400,
      maxLaps: 0,
      lapLengthM: 13626,
      gamePhase: 5,
      gamePhaseName: 'green',
      inRealtime: true,
      playerName: 'Me',
      numVehicles: 2,
    });
    expect(f.vehicles[1]).toEqual({
      id: 40,
      driverName: 'Zoë',
      vehicleName: 'Porsche 963',
      vehicleClass: 'Hypercar',
      place: 4,
      laps: 12,
      lapDistanceM: 5000.25,
      bestLapS: 211.5,
      lastLapS: null,
      sector: 3,
      inPits: true,
      isPlayer: true,
      control: 1,
      controlName: 'ai',
    });
  });

  it('round-trips through the buffer writer', () => {
    const w = new Rf2BufferWriter();
    const { telemetry, scoring } = field();
    w.writeTelemetry(telemetry);
    w.writeScoring(scoring);
    expect(w.telemetry.readInt32LE(tv(1, 352))).toBe(3);
    expect(w.telemetry.readDoubleLE(tv(1, 420))).toBe(0.42);
    expect(w.telemetry.readInt32LE(8)).toBe(8 + 3 * 1888);
    expect(w.scoring.readInt32LE(8)).toBe(552 + 3 * 584);
    expect(w.scoring.readUInt8(sv(2, 196))).toBe(1);
    const t = decodeTelemetry(w.telemetry, newDecodeStats());
    expect(t.vehicles.map((v) => v.id)).toEqual([2, 5, 9]);
    expect(t.vehicles[1]!.unfilteredBrake).toBe(0.3);
    const s = decodeScoring(w.scoring, newDecodeStats());
    expect(s.vehicles[2]!.driverName).toBe('Tomáš Novák');
    expect(w.telemetry.readUInt32LE(0)).toBe(1);
    expect(w.telemetry.readUInt32LE(4)).toBe(1);
  });

  it('wraps the version counters at 2^32', () => {
    const w = new Rf2BufferWriter(0xffffffff);
    w.writeTelemetry(field().telemetry);
    expect(w.telemetry.readUInt32LE(0)).toBe(0);
    expect(w.telemetry.readUInt32LE(4)).toBe(0);
  });
});

describe('Windows-1252 strings', () => {
  it('decodes 0x80-0x9F with the real table, unlike Latin-1', () => {
    const bytes = Buffer.from([0x80, 0x8a, 0x8c, 0x92, 0x96, 0x99, 0x9a, 0x9e, 0x9f, 0x81, 0xe9, 0]);
    expect(decodeCp1252(bytes, 0, bytes.length)).toBe('€ŠŒ’–™šžŸ\u0081é');
    expect(bytes.toString('latin1', 0, 2)).not.toBe('€Š');
  });

  it('encodes and decodes every character of the code page', () => {
    const all = decodeCp1252(Buffer.from(Array.from({ length: 255 }, (_, i) => i + 1)), 0, 255);
    const b = Buffer.alloc(255);
    encodeCp1252(all, b, 0, 255);
    expect([...b]).toEqual(Array.from({ length: 255 }, (_, i) => i + 1));
  });

  it('stops at the array end when a string has no terminator', () => {
    const w = new Rf2BufferWriter();
    const name = 'X'.repeat(32);
    w.writeScoring({ vehicles: [{ id: 1, driverName: name + 'overflow', vehicleName: 'Car' }] });
    // 32 bytes of driver name and no NUL: the next field (vehicle name) must not bleed in.
    expect(w.scoring.readUInt8(sv(0, 4 + 31))).toBe(0x58);
    const s = decodeScoring(w.scoring, newDecodeStats());
    expect(s.vehicles[0]!.driverName).toBe(name);
    expect(s.vehicles[0]!.vehicleName).toBe('Car');
  });

  it('cuts at the first NUL even when garbage follows', () => {
    const b = Buffer.from('Ana\0Bob\0', 'latin1');
    expect(decodeCp1252(b, 0, b.length)).toBe('Ana');
  });
});

describe('bad values', () => {
  it('turns NaN and infinite floats into null and counts them', () => {
    const w = new Rf2BufferWriter();
    w.writeTelemetry({ vehicles: [{ id: 1, throttle: NaN, brake: Infinity, unfilteredThrottle: 0.5, unfilteredBrake: 0.5, rpm: -Infinity, localVelocityMs: { x: NaN, y: 0, z: 1 } }] });
    const stats = newDecodeStats();
    const v = decodeTelemetry(w.telemetry, stats).vehicles[0]!;
    expect(v.throttle).toBeNull();
    expect(v.brake).toBeNull();
    expect(v.rpm).toBeNull();
    expect(v.localVelocityMs.x).toBeNull();
    expect(v.speedMs).toBeNull();
    expect(stats.nonFinite).toBe(4);
    expect(JSON.parse(JSON.stringify(v)).brake).toBeNull();
  });

  it('clamps mNumVehicles to 0..128 and says why', () => {
    expect(clampVehicleCount(-5)).toEqual({ raw: -5, count: 0, problem: 'negative' });
    expect(clampVehicleCount(129)).toEqual({ raw: 129, count: 128, problem: 'over_128' });
    expect(clampVehicleCount(128)).toEqual({ raw: 128, count: 128 });
    const w = new Rf2BufferWriter();
    w.writeTelemetry({ vehicles: [{ id: 1 }], numVehicles: -1 });
    expect(decodeTelemetry(w.telemetry, newDecodeStats()).numVehicles).toBe(0);
    w.writeTelemetry({ vehicles: [{ id: 1 }], numVehicles: 100000 });
    expect(decodeTelemetry(w.telemetry, newDecodeStats()).numVehicles).toBe(128);
  });
});

describe('finding the player', () => {
  it('matches telemetry by mID, not by index', () => {
    const w = new Rf2BufferWriter();
    const { telemetry, scoring } = field();
    w.writeTelemetry(telemetry);
    w.writeScoring(scoring);
    expect(findPlayer(w.scoring, w.telemetry)).toEqual({ ok: true, id: 5, scoringIndex: 2, telemetryIndex: 1 });
  });

  it('ignores left-over records beyond each buffer\'s own mNumVehicles', () => {
    const w = new Rf2BufferWriter();
    const { telemetry, scoring } = field();
    w.writeTelemetry(telemetry);
    w.writeScoring(scoring);
    // Scoring shrinks to two vehicles: the player's record (index 2) is a left-over now.
    w.writeScoring({ ...scoring, vehicles: scoring.vehicles.slice(0, 2) });
    expect(w.scoring.readUInt8(sv(2, 196))).toBe(1);
    expect(findPlayer(w.scoring, w.telemetry)).toMatchObject({ ok: false, state: 'no_player' });
    // The player is back in scoring, but telemetry shrank to one vehicle: mID 5 (index 1) is a left-over.
    w.writeScoring(scoring);
    w.writeTelemetry({ vehicles: telemetry.vehicles.slice(0, 1) });
    const r = findPlayer(w.scoring, w.telemetry);
    expect(r).toMatchObject({ ok: false, state: 'no_player' });
    expect(!r.ok && r.reason).toContain('mID 5, "Tomáš Novák"');
  });

  it('reports no session when scoring lists no vehicles', () => {
    const w = new Rf2BufferWriter();
    expect(findPlayer(w.scoring, w.telemetry)).toMatchObject({ ok: false, state: 'no_session' });
  });
});
