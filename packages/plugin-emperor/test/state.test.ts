import { describe, expect, it } from 'vitest';
import { compileTeamRule, decodeFrame, encodeFrame, type Snapshot } from '@acgateway/plugin-emperor';
import { FakeRace } from '@acgateway/plugin-emperor/fake';
import { RaceState } from '../src/state/race-state.js';
import { Backoff } from '@acgateway/core';
import { ALEX, PRIYA, SAM } from './helpers.js';

/** A snapshot as the client would receive it: through the real encoder and decoder. */
function snap(race: FakeRace): Snapshot {
  const r = decodeFrame(encodeFrame(200, race.snapshot()));
  if (!r.ok || r.event.eventType !== 200) throw new Error('snapshot did not decode');
  expect(r.problems).toEqual([]);
  return r.event.data;
}

describe('team rule', () => {
  const d = (name: string, teamName: string | null = null) => ({ carId: 0, guid: 'g', name, initials: '', carModel: '', carName: '', carSkin: '', teamName, raceNumber: null, tyres: null, spectator: false });

  it('matches a name tag case-insensitively, not inside a longer word', () => {
    const m = compileTeamRule({ tag: '-YORK' })!;
    expect(m(d('Sam Carter-YORK'))).toBe(true);
    expect(m(d('Sam Carter-york'))).toBe(true);
    expect(m(d('Sam Carter -YORK [B]'))).toBe(true);
    expect(m(d('Sam Carter-YORKSHIRE'))).toBe(false);
    expect(m(d('Sam York'))).toBe(false);
    // Shortened names ("Sam C.") lose a tag in the last word: nothing can match them.
    expect(m(d('Sam C.'))).toBe(false);
  });

  it('matches a word tag only as a whole word', () => {
    const m = compileTeamRule({ tag: 'YFS' })!;
    expect(m(d('YFS Sam Carter'))).toBe(true);
    expect(m(d('Sam YFSX'))).toBe(false);
  });

  it('matches the v2 team name, whole or after the class and number', () => {
    const m = compileTeamRule({ teamName: 'York Racing' })!;
    expect(m(d('Sam', 'York Racing'))).toBe(true);
    expect(m(d('Sam', 'GT3 7 | york racing'))).toBe(true);
    expect(m(d('Sam', 'New York Racing'))).toBe(false);
    expect(m(d('Sam'))).toBe(false);
  });

  it('is null when no rule is given', () => {
    expect(compileTeamRule({})).toBeNull();
    expect(compileTeamRule({ tag: '  ' })).toBeNull();
  });
});

describe('RaceState', () => {
  it('does not grow over many snapshots and survives drivers leaving (the seed\'s two bugs)', () => {
    const race = new FakeRace();
    const state = new RaceState();
    const team = compileTeamRule({ tag: '-YORK' })!;
    race.connect(SAM);
    race.connect(ALEX);
    race.connect(PRIYA);
    for (let i = 0; i < 200; i++) state.applySnapshot(snap(race), i);
    expect(state.connectedDrivers().filter(team).map((d) => d.name)).toEqual([SAM.name, PRIYA.name]);
    race.disconnect(SAM.guid);
    race.disconnect(PRIYA.guid);
    for (let i = 0; i < 5; i++) state.applySnapshot(snap(race), 1000 + i);
    expect(state.connectedDrivers().filter(team)).toEqual([]);
    expect(state.connectedDrivers().map((d) => d.name)).toEqual([ALEX.name]);
    // A renamed driver is one driver, not two (the seed compared whole CarInfo dicts).
    race.connect({ ...SAM, name: 'Sam Carter-YORK (wet)' });
    state.applySnapshot(snap(race), 2000);
    expect(state.connectedDrivers().filter(team).map((d) => d.name)).toEqual(['Sam Carter-YORK (wet)']);
  });

  it('applies incremental events the way the server does before the next snapshot', () => {
    const race = new FakeRace();
    const state = new RaceState();
    race.connect(SAM);
    race.completeLap(SAM.guid, 90_000);
    state.applySnapshot(snap(race), 0);
    const sam = state.connectedDrivers()[0]!;

    // 52 for a driver with laps: kept as disconnected. 51 brings them back with their laps.
    expect(state.applyConnectionClosed(sam).drivers).toBe(true);
    expect(state.connectedDrivers()).toEqual([]);
    expect(state.disconnectedDrivers()[0]).toMatchObject({ guid: SAM.guid, connected: false, laps: 1 });
    state.applyNewConnection({ ...sam, carId: 4 }, 10);
    expect(state.connectedDrivers()[0]).toMatchObject({ guid: SAM.guid, connected: true, laps: 1, carId: 4, connectedAt: 10 });
    expect(state.disconnectedDrivers()).toEqual([]);
    expect(state.guidOfCar(4)).toBe(SAM.guid);

    // Same driver in another car: that car has no laps yet.
    state.applyNewConnection({ ...sam, carId: 4, carModel: 'ks_abarth500' }, 20);
    expect(state.connectedDrivers()[0]).toMatchObject({ laps: 0, totalLaps: 1, bestLapMs: null, otherCars: ['ks_mazda_mx5_cup'] });

    // 52 for a driver without laps, or for someone unknown: gone, or nothing at all.
    state.applyNewConnection({ ...sam, guid: 'new', carId: 5, name: 'New' }, 30);
    state.applyConnectionClosed({ ...sam, guid: 'new' });
    expect(state.driver('new')).toBeUndefined();
    expect(state.applyConnectionClosed({ ...sam, guid: 'nobody' })).toMatchObject({ state: false, drivers: false });

    // 53 and 58 resolve the car through CarIDToGUID; unknown cars are ignored.
    const moved = state.applyCarUpdate({ carId: 4, pos: { x: 1, y: 2, z: 3 }, velocity: { x: 0, y: 0, z: 0 }, speedKmh: 0, gear: 1, rpm: 2000, splinePos: 0.1, racePosition: null, gap: null, inPits: true, drsActive: null, numPits: 1 }, 40);
    expect(moved).toMatchObject({ pos: { x: 1, y: 2, z: 3 }, lastSeenAt: 40, inPits: true, numPits: 1, live: { rpm: 2000, at: 40 } });
    expect(state.applyCarUpdate({ ...moved!.live!, carId: 99, velocity: { x: 0, y: 0, z: 0 }, racePosition: null, gap: null, inPits: null, drsActive: null, numPits: null }, 41)).toBeUndefined();
    expect(state.applyClientLoaded(4, 50).drivers).toBe(true);
    expect(state.connectedDrivers()[0]!.loadedAt).toBe(50);
    expect(state.applyClientLoaded(99, 50).drivers).toBe(false);
  });

  it('keeps lap data through a looping practice, clears it for a new session', () => {
    const race = new FakeRace({ session: { Type: 1, Name: 'Practice', Time: 60, Laps: 0 } });
    const state = new RaceState();
    race.connect(SAM);
    race.completeLap(SAM.guid, 90_000);
    state.applySnapshot(snap(race), 0);
    const practice = state.session!;
    expect(state.applyNewSession({ ...practice, elapsedMs: 0 }, 5).drivers).toBe(false);
    expect(state.connectedDrivers()[0]!.laps).toBe(1);
    state.applyNewSession({ ...practice, name: 'Race', type: 'race', typeCode: 3 }, 6);
    expect(state.connectedDrivers()[0]).toMatchObject({ laps: 0, bestLapMs: null, lastLapCompletedAt: 6 });
  });

  it('derives lap events from consecutive snapshots of the same session only', () => {
    const race = new FakeRace();
    const state = new RaceState();
    race.connect(SAM);
    race.connect(ALEX);
    expect(state.applySnapshot(snap(race), 0).laps).toEqual([]);
    race.completeLap(SAM.guid, 91_000);
    race.completeLap(ALEX.guid, 90_000, { cuts: 1 });
    const laps = state.applySnapshot(snap(race), 1).laps;
    // In the new snapshot's order: Alex leads on total time; a lap with cuts sets no best.
    expect(laps.map((l) => [l.name, l.lapMs, l.personalBest, l.position])).toEqual([[ALEX.name, 90_000, false, 1], [SAM.name, 91_000, true, 2]]);
    race.newSession({ Type: 3, Name: 'Race 2', SessionIndex: 1 });
    race.completeLap(SAM.guid, 92_000);
    race.completeLap(SAM.guid, 92_000);
    expect(state.applySnapshot(snap(race), 2).laps).toEqual([]);
  });

  it('keeps 50 chat lines and drops replays', () => {
    const state = new RaceState();
    for (let i = 0; i < 60; i++) expect(state.applyChat({ carId: 0, guid: 'g', name: 'n', text: `m${i}`, at: i })).toBe(true);
    expect(state.applyChat({ carId: 0, guid: 'g', name: 'n', text: 'm59', at: 59 })).toBe(false);
    expect(state.chat()).toHaveLength(50);
    expect(state.chat()[0]!.text).toBe('m10');
  });
});

describe('the fake server\'s race bookkeeping (what the client is tested against)', () => {
  it('sorts a race by laps then total time and writes the lapping driver\'s split', () => {
    const race = new FakeRace();
    race.connect(SAM);
    race.connect(ALEX);
    race.connect(PRIYA);
    race.completeLap(SAM.guid, 90_000);
    race.completeLap(ALEX.guid, 96_814);
    race.completeLap(SAM.guid, 90_000);
    race.completeLap(PRIYA.guid, 150_000);
    const s = snap(race);
    expect(s.connected.map((d) => [d.name, d.position, d.split])).toEqual([
      [SAM.name, 1, '0s'],
      [ALEX.name, 2, '6.814s'],
      [PRIYA.name, 3, '53.186s'],
    ]);
    race.completeLap(ALEX.guid, 90_000);
    race.completeLap(SAM.guid, 90_000);
    race.completeLap(SAM.guid, 90_000);
    race.completeLap(PRIYA.guid, 90_000);
    const s2 = snap(race);
    expect(s2.connected.map((d) => [d.name, d.laps, d.split])).toEqual([[SAM.name, 4, '0s'], [ALEX.name, 2, '6.814s'], [PRIYA.name, 2, '53.186s']]);
    race.completeLap(ALEX.guid, 90_000);
    expect(snap(race).connected[1]).toMatchObject({ name: ALEX.name, split: '1 lap' });
  });

  it('sorts practice by best lap and splits every driver against the one ahead', () => {
    const race = new FakeRace({ session: { Type: 1, Name: 'Practice', Time: 60, Laps: 0 } });
    race.connect(SAM);
    race.connect(ALEX);
    race.connect(PRIYA);
    race.completeLap(SAM.guid, 92_000);
    race.completeLap(ALEX.guid, 91_500);
    race.completeLap(PRIYA.guid, 89_000, { cuts: 3 });
    expect(snap(race).connected.map((d) => [d.name, d.split, d.bestLapMs])).toEqual([
      [ALEX.name, '0s', 91_500],
      [SAM.name, '500ms', 92_000],
      [PRIYA.name, '', null],
    ]);
  });
});

describe('Backoff', () => {
  it('doubles up to the cap and takes off at most the jitter fraction', () => {
    let r = 0;
    const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 }, () => r);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000, 1000]);
    r = 0.999999;
    expect(b.next()).toBe(500);
    b.reset();
    expect(b.attempts).toBe(0);
    r = 0.5;
    expect(b.next()).toBe(75);
  });
});
