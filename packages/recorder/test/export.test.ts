import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHost, tempDir, until } from '@acgateway/testing';
import acudp, { acudpTopics } from '@acgateway/plugin-acudp';
import { FakeAcServer } from '@acgateway/plugin-acudp/fake';
import { csvCell, exportRecording, flatten, RecordingReader, RecordingWriter, recorder, type RecordedMessage } from '@acgateway/recorder';
import { readLd, readLdxBeacons } from './ld-reader.js';

// One live recording for the CSV and Parquet tests: a host with acudp against the fake AC server
// (short laps, so the lap table has rows), recorded from inside the host with the `record` option.
let tmp: { dir: string; remove(): Promise<void> };
let file: string;
let recorded: RecordedMessage[];
/** What the host published on acudp/#, as the recorder should have kept it. */
let published: Array<{ topic: string; data: unknown; retained: boolean }>;
let db: DuckDBConnection;

beforeAll(async () => {
  tmp = await tempDir('acgrec-export-');
  file = path.join(tmp.dir, 'race.acgrec');
  const fake = new FakeAcServer({ cars: 4, lapMs: 1200, loadDelayMs: 10, chatEveryMs: 0, collisionEveryMs: 0 });
  await fake.start();
  const t = await createTestHost({ plugins: [acudp({ listenPort: 0, serverPort: fake.commandPort, realtimeIntervalMs: 50 }), recorder({ record: { file, topics: ['acudp/#'], flushMs: 200 } })] });
  try {
    const listenPort = (t.host.describe().find((p) => p.name === 'acudp')!.sources[0]!.status as { listenPort: number }).listenPort;
    fake.setPluginAddress(listenPort);
    await until('six laps', () => t.published('acudp/lap_completed').length >= 6, 15_000);
  } finally {
    await t.stop();
    await fake.stop();
  }
  published = t.published('acudp/#').map((m) => ({ topic: m.topic, data: JSON.parse(JSON.stringify(m.data ?? null)), retained: m.retain === true }));
  const r = await RecordingReader.open(file);
  recorded = [];
  for await (const m of r.messages()) recorded.push(m);
  await r.close();
  db = await (await DuckDBInstance.create(':memory:')).connect();
}, 30_000);

afterAll(async () => {
  db?.closeSync();
  await tmp?.remove();
});

const rows = async (sql: string) => (await db.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;

describe('export', () => {
  it('the in-host recorder kept every message the host published on its topics, in order, retained ones as such', () => {
    expect(recorded.filter((m) => m.topic === 'acudp/lap_completed').length).toBeGreaterThanOrEqual(6);
    expect(recorded.some((m) => m.topic === 'acudp/state' && m.retained)).toBe(true);
    expect(recorded.map((m) => ({ topic: m.topic, data: JSON.parse(m.data), retained: m.retained }))).toEqual(published);
  });

  it('CSV: one file per topic with flattened columns, read back by DuckDB with the recorded values', async () => {
    const out = path.join(tmp.dir, 'csv');
    const progress: Array<{ done: number; total: number; phase: string }> = [];
    const s = await exportRecording({ file, format: 'csv', outDir: out, onProgress: (p) => progress.push(p) });
    // Progress is reported, ending with every record read and every row written.
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({ phase: 'writing', done: recorded.length, total: recorded.length });
    const names = await readdir(out);
    expect(names).toEqual(expect.arrayContaining(['acudp.car_update.csv', 'acudp.lap_completed.csv', 'acudp.state.csv', 'laps.csv']));
    // No temporary folder is left behind.
    expect(names.some((n) => n.startsWith('.'))).toBe(false);
    expect(s.records).toBe(recorded.length);
    const updates = recorded.filter((m) => m.topic === 'acudp/car_update').map((m) => flatten(JSON.parse(m.data)));
    const read = await rows(`select carId, "pos.x" as x, engineRpm, gear from read_csv('${path.join(out, 'acudp.car_update.csv')}', header = true)`);
    expect(read).toHaveLength(updates.length);
    read.forEach((r, i) => {
      expect(Number(r.carId)).toBe(updates[i]!.carId);
      expect(Number(r.x)).toBeCloseTo(updates[i]!['pos.x'] as number, 9);
      expect(Number(r.engineRpm)).toBe(updates[i]!.engineRpm);
    });
    // An array is one cell of JSON text: the leaderboard that came with a lap.
    const board = await rows(`select leaderboard from read_csv('${path.join(out, 'acudp.lap_completed.csv')}', header = true, all_varchar = true) limit 1`);
    expect(JSON.parse(String(board[0]!.leaderboard))).toEqual(JSON.parse(recorded.find((m) => m.topic === 'acudp/lap_completed')!.data).leaderboard);
    // The header row names the nested fields.
    const header = (await readFile(path.join(out, 'acudp.car_update.csv'), 'utf8')).split('\r\n')[0]!;
    expect(header).toBe('t_ms,ts,type,carId,pos.x,pos.y,pos.z,velocity.x,velocity.y,velocity.z,gear,engineRpm,normalizedSplinePos');
  });

  it('the lap table: a row per acudp lap, with driver, car, lap, time, cuts and position', async () => {
    const out = path.join(tmp.dir, 'csv');
    const laps = recorded.filter((m) => m.topic === 'acudp/lap_completed').map((m) => JSON.parse(m.data) as { carId: number; lapTimeMs: number; cuts: number; leaderboard: Array<{ carId: number; laps: number }> });
    const table = await rows(`select * from read_csv('${path.join(out, 'laps.csv')}', header = true, all_varchar = true)`);
    expect(table).toHaveLength(laps.length);
    table.forEach((r, i) => {
      const lap = laps[i]!;
      const at = lap.leaderboard.findIndex((e) => e.carId === lap.carId);
      expect(r).toMatchObject({ source: 'acudp', car_id: String(lap.carId), lap_time_ms: String(lap.lapTimeMs), cuts: String(lap.cuts), position: String(at + 1), lap: String(lap.leaderboard[at]!.laps) });
      expect(r.driver).toMatch(/\S/);
      expect(r.car).toMatch(/\S/);
      expect(r.lap_time).toMatch(/^\d+:\d\d\.\d{3}$/);
    });
  });

  it('Parquet: typed columns from the topic declarations, read back by DuckDB with the recorded values', async () => {
    const out = path.join(tmp.dir, 'parquet');
    await exportRecording({ file, format: 'parquet', outDir: out, declarations: Object.values(acudpTopics) });
    const f = path.join(out, 'acudp.car_update.parquet');
    const types = Object.fromEntries((await rows(`describe select * from '${f}'`)).map((r) => [r.column_name, r.column_type]));
    expect(types).toMatchObject({ t_ms: 'DOUBLE', ts: 'TIMESTAMP', type: 'VARCHAR', carId: 'INTEGER', 'pos.x': 'DOUBLE', gear: 'INTEGER', engineRpm: 'INTEGER' });
    const updates = recorded.filter((m) => m.topic === 'acudp/car_update');
    const read = await rows(`select carId, "velocity.z" as vz, epoch_ms(ts) as ts, normalizedSplinePos as spline from '${f}'`);
    expect(read).toHaveLength(updates.length);
    read.forEach((r, i) => {
      const d = JSON.parse(updates[i]!.data) as { carId: number; velocity: { z: number }; normalizedSplinePos: number };
      expect(r.carId).toBe(d.carId);
      expect(r.vz).toBeCloseTo(d.velocity.z, 9);
      expect(r.spline).toBeCloseTo(d.normalizedSplinePos, 9);
      expect(Number(r.ts)).toBe(updates[i]!.ts);
    });
    // Arrays are JSON text: the leaderboard of a lap parses back.
    const lap = (await rows(`select cast(leaderboard as varchar) as leaderboard from '${path.join(out, 'acudp.lap_completed.parquet')}' limit 1`))[0]!;
    expect(JSON.parse(String(lap.leaderboard))).toEqual(JSON.parse(recorded.find((m) => m.topic === 'acudp/lap_completed')!.data).leaderboard);
    const laps = await rows(`select count(*) as n, min(lap_time_ms) as best from '${path.join(out, 'laps.parquet')}'`);
    const times = recorded.filter((m) => m.topic === 'acudp/lap_completed').map((m) => JSON.parse(m.data).lapTimeMs as number);
    expect(laps[0]).toEqual({ n: String(times.length), best: Math.min(...times) });
  });

  it('a second export keeps the first as a backup instead of losing it', async () => {
    const out = path.join(tmp.dir, 'again');
    await exportRecording({ file, format: 'csv', outDir: out, topics: ['acudp/state'] });
    await exportRecording({ file, format: 'csv', outDir: out, topics: ['acudp/state'] });
    const names = await readdir(out);
    expect(names.filter((n) => n.startsWith('acudp.state.csv.') && n.endsWith('.bak'))).toHaveLength(1);
  });

  it('CSV cells quote commas, quotes and line breaks', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(3.5)).toBe('3.5');
  });
});

describe('MoTeC export', () => {
  it('writes rF2 telemetry as .ld channels at a fixed rate with a beacon at each lap, read back by a separate reader', async () => {
    const dir = await tempDir('acgrec-motec-');
    try {
      const src = path.join(dir.dir, 'stint.acgrec');
      let now = 0;
      const w = new RecordingWriter(src, () => ({ gateway: { version: 'test' }, plugins: [], topics: ['rf2/#'], recorder: 'test' }), { now: () => now });
      w.write({ ts: 0, topic: 'rf2/player', data: JSON.stringify({ driverName: 'Ana Simic', vehicleName: 'Formula Test', place: 1, gear: 1, brake: 0, throttle: 0 }), retained: true });
      w.write({ ts: 0, topic: 'rf2/scoring', data: JSON.stringify({ sessionKind: 'Race', trackName: 'Test Ring' }), retained: false });
      // 70 s at 50 Hz; a lap every 20 s (laps 1..4); speed and pedals follow a known curve.
      const speedAt = (s: number) => 100 + 50 * Math.sin(s / 3);
      for (let i = 0; i <= 3500; i++) {
        now = i * 20;
        const s = now / 1000;
        w.write({ ts: now, topic: 'rf2/telemetry', retained: false, data: JSON.stringify({ id: 0, lapNumber: 1 + Math.floor(s / 20), vehicleName: 'Formula Test', trackName: 'Test Ring', speedKmh: speedAt(s), rpm: 6000 + 1000 * Math.cos(s), throttle: (i % 100) / 100, brake: i % 100 > 80 ? 0.5 : 0, steering: -0.25, gear: 1 + (i % 6), elapsedTimeS: s }) });
      }
      w.close();
      const out = path.join(dir.dir, 'motec');
      const s = await exportRecording({ file: src, format: 'motec', outDir: out, motecHz: 50 });
      expect(s.files.map((f) => path.basename(f.path))).toEqual(['stint.ld', 'stint.ldx']);
      const ld = readLd(await readFile(path.join(out, 'stint.ld')));
      expect(ld).toMatchObject({ driver: 'Ana Simic', vehicle: 'Formula Test', venue: 'Test Ring', deviceType: 'ADL' });
      expect(ld.event).toMatchObject({ session: 'Race', venue: 'Test Ring', vehicle: 'Formula Test' });
      expect(ld.date).toMatch(/^\d\d\/\d\d\/\d{4}$/);
      expect(ld.time).toMatch(/^\d\d:\d\d:\d\d$/);
      const ch = Object.fromEntries(ld.channels.map((c) => [c.name, c]));
      expect(Object.keys(ch)).toEqual(['Ground Speed', 'Engine RPM', 'Throttle Pos', 'Brake Pos', 'Steering Pos', 'Gear', 'Lap Number']);
      expect(ch['Ground Speed']).toMatchObject({ unit: 'km/h', freq: 50, count: 3501 });
      for (const k of [0, 777, 2500, 3500]) {
        const sec = (k * 20) / 1000;
        expect(ch['Ground Speed']!.values[k]).toBeCloseTo(speedAt(sec), 3);
        expect(ch['Engine RPM']!.values[k]).toBeCloseTo(6000 + 1000 * Math.cos(sec), 2);
        expect(ch['Throttle Pos']!.values[k]).toBeCloseTo(k % 100, 4);
        expect(ch['Gear']!.values[k]).toBe(1 + (k % 6));
        expect(ch['Lap Number']!.values[k]).toBe(1 + Math.floor(sec / 20));
      }
      expect(ch['Steering Pos']!.values[10]).toBeCloseTo(-25, 5);
      expect(readLdxBeacons(await readFile(path.join(out, 'stint.ldx'), 'utf8'))).toEqual([20, 40, 60]);
    } finally {
      await dir.remove();
    }
  });

  it('refuses a recording without rF2 telemetry, naming what it needs', async () => {
    await expect(exportRecording({ file, format: 'motec', outDir: path.join(tmp.dir, 'm') })).rejects.toThrow(/needs the rF2 player's telemetry/);
  });
});
