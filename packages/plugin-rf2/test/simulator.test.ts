import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestHost, tempDir, until, type TestHost } from '@acgateway/testing';
import rf2, { COPY_LAYOUTS, ConsistentCopy, FileMappingOpener, TELEMETRY, decodeScoring, decodeTelemetry, findPlayer, newDecodeStats, type FeedMessage, type StatusMessage } from '@acgateway/plugin-rf2';
import { Rf2Simulator } from '@acgateway/plugin-rf2/fake';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let t: TestHost | undefined;
let sim: Rf2Simulator | undefined;
beforeEach(async () => {
  tmp = await tempDir('acgw-rf2-');
});
afterEach(async () => {
  await t?.stop();
  t = undefined;
  sim?.stop();
  sim = undefined;
  await tmp.remove();
});

/** Reads both buffers back through the real mmap reader and the torn-read protocol. */
async function readBack(dir: string) {
  const opener = new FileMappingOpener({ dir, mode: 'mmap' });
  const out: { telemetry?: Buffer; scoring?: Buffer } = {};
  for (const name of ['Telemetry', 'Scoring'] as const) {
    const r = opener.open(name);
    if (!r.ok) throw new Error(r.reason);
    const c = new ConsistentCopy(COPY_LAYOUTS[name]);
    expect(await c.take(r.region)).toBe('fresh');
    r.region.close();
    if (name === 'Telemetry') out.telemetry = c.data;
    else out.scoring = c.data;
  }
  return out as { telemetry: Buffer; scoring: Buffer };
}

describe('Rf2Simulator', () => {
  it('drives a plausible race: laps, lap times, places, pedals and gears', async () => {
    sim = new Rf2Simulator({ dir: tmp.dir, vehicles: 12, playerName: 'Zoë Player' });
    const samples: Array<{ speed: number; gear: number; throttle: number; brake: number; rpm: number }> = [];
    for (let i = 0; i < 7000; i++) {
      sim.advance(0.02);
      if (i % 50 === 0) {
        sim.write();
        const { telemetry } = await readBack(tmp.dir);
        const f = decodeTelemetry(telemetry, newDecodeStats());
        for (const v of f.vehicles) samples.push({ speed: v.speedKmh!, gear: v.gear, throttle: v.throttle!, brake: v.brake!, rpm: v.rpm! });
      }
    }
    sim.write();
    const { telemetry, scoring } = await readBack(tmp.dir);
    const s = decodeScoring(scoring, newDecodeStats());
    expect(s.info).toMatchObject({ trackName: 'Sim Ring', sessionKind: 'race', gamePhaseName: 'green', numVehicles: 12, inRealtime: true, playerName: 'Zoë Player' });
    expect(s.info.lapLengthM).toBeGreaterThan(2000);
    expect(s.vehicles.map((v) => v.place).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    for (const v of s.vehicles) {
      expect(v.laps).toBeGreaterThanOrEqual(2);
      expect(v.lastLapS).toBeGreaterThan(35);
      expect(v.lastLapS).toBeLessThan(90);
      expect(v.bestLapS).toBeLessThanOrEqual(v.lastLapS!);
    }
    // Faster drivers lead: the leader has covered at least as many laps as the last car.
    const byPlace = [...s.vehicles].sort((a, b) => a.place - b.place);
    expect(byPlace[0]!.laps).toBeGreaterThanOrEqual(byPlace.at(-1)!.laps);
    expect(s.vehicles.map((v) => v.driverName)).toEqual(expect.arrayContaining(['Frédéric Œuvray', 'Niamh O’Brien', 'Zoë Player']));
    const p = findPlayer(scoring, telemetry);
    expect(p.ok).toBe(true);
    if (p.ok) expect(p.scoringIndex).not.toBe(p.telemetryIndex);
    expect(Math.max(...samples.map((x) => x.speed))).toBeGreaterThan(250);
    expect(Math.min(...samples.map((x) => x.speed))).toBeGreaterThan(80);
    expect(Math.max(...samples.map((x) => x.speed))).toBeLessThan(320);
    expect(new Set(samples.map((x) => x.gear)).size).toBeGreaterThanOrEqual(3);
    expect(samples.some((x) => x.brake > 0.5)).toBe(true);
    expect(samples.some((x) => x.throttle === 1)).toBe(true);
    expect(samples.every((x) => x.throttle >= 0 && x.throttle <= 1 && x.brake >= 0 && x.brake <= 1 && !(x.throttle > 0 && x.brake > 0))).toBe(true);
    expect(samples.every((x) => x.rpm >= 3800 && x.rpm <= 9000)).toBe(true);
  });

  it('feeds the plugin when started, and zero-fills the buffers on stop as the game does', async () => {
    sim = new Rf2Simulator({ dir: tmp.dir, vehicles: 6, playerName: 'Demo Driver', playerVehicle: 'Ginetta G55' });
    sim.start();
    t = await createTestHost({ plugins: [rf2({ dir: tmp.dir, feed: { port: 0 } })] });
    const m = await t.waitFor<FeedMessage>('rf2/player');
    expect(m.data).toMatchObject({ driverName: 'Demo Driver', vehicleName: 'Ginetta G55' });
    expect(m.data.gear).toBeGreaterThanOrEqual(1);
    await until('several telemetry frames', () => t!.published('rf2/telemetry').length >= 10);
    sim.stop();
    await t.waitFor<StatusMessage>('rf2/status', (s) => s.data.state === 'no_session');
    expect(fs.statSync(sim.paths.telemetry).size).toBe(TELEMETRY.mappingBytes);
  });

  it('removes its files on stop when asked', async () => {
    sim = new Rf2Simulator({ dir: tmp.dir, removeOnStop: true, hz: 20 });
    sim.start();
    expect(fs.existsSync(sim.paths.scoring)).toBe(true);
    sim.stop();
    expect(fs.existsSync(sim.paths.scoring)).toBe(false);
    expect(() => new Rf2Simulator({} as never)).toThrow('"dir"');
  });
});
