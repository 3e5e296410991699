#!/usr/bin/env node
// Benchmark of @acgateway/recorder (built packages: run `npm run build` first).
//   node packages/recorder/bench/recorder.bench.mjs              ~60 s
//   BENCH_QUICK=1 node packages/recorder/bench/recorder.bench.mjs   ~25 s
// 1. throughput: AC car updates through the recorder (gzip chunks) against the same frames appended
//    uncompressed to a plain file, in the same run;
// 2. the cost of recording 24 cars at 60 Hz inside a host, as a share of one core: a host whose bus
//    carries the updates with the recorder subscribed, against the same host without it (target < 5 %);
// 3. the size of a one-hour, 24-car AC race at 10 Hz (car updates, laps with their leaderboard, the
//    retained state after each lap), written at full speed with recorded times.
// Files go to a temp folder.
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Host, definePlugin, API_VERSION, createLogger } from '@acgateway/core';
import { tempDir } from '@acgateway/testing';
import { RecordingReader, RecordingWriter, recorder } from '@acgateway/recorder';

const QUICK = process.env.BENCH_QUICK === '1';
const f1 = (n) => n.toLocaleString('en', { maximumFractionDigits: 1 });
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;

function table(title, rows) {
  console.log(`\n${title}`);
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  for (const r of rows) console.log('  ' + r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c ?? '').padStart(w[i]))).join('  '));
}

/** A car update as acudp publishes it (float32 values, as the wire carries them). */
function carUpdate(carId, tS) {
  const a = (tS / 90 + carId / 24) * 2 * Math.PI;
  const r = 400 + carId;
  const fr = Math.fround;
  return {
    type: 'car_update',
    carId,
    pos: { x: fr(r * Math.cos(a)), y: fr(2.5 + Math.sin(a * 3)), z: fr(r * Math.sin(a)) },
    velocity: { x: fr(-30 * Math.sin(a)), y: fr(0.1 * Math.cos(a * 7)), z: fr(30 * Math.cos(a)) },
    gear: 2 + (Math.floor(tS * 3 + carId) % 5),
    engineRpm: 4000 + Math.round(3000 * Math.abs(Math.sin(tS + carId))),
    normalizedSplinePos: fr(((tS / 90 + carId / 24) % 1 + 1) % 1),
  };
}

const header = () => ({ gateway: { version: 'bench' }, plugins: [], topics: ['acudp/#'], recorder: 'bench' });

async function throughput(dir) {
  const n = QUICK ? 200_000 : 600_000;
  const msgs = [];
  for (let i = 0; i < 24 * 60 * 10; i++) msgs.push(JSON.stringify(carUpdate(i % 24, i / 1440)));
  // Plain file: the wire frame of each message, one write per 256 KiB, as the recorder writes chunks.
  const plainFile = path.join(dir, 'plain.jsonl');
  const fd = openSync(plainFile, 'w');
  let t0 = process.hrtime.bigint();
  let pending = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const line = Buffer.from(`{"topic":"acudp/car_update","ts":${1_700_000_000_000 + i},"data":${msgs[i % msgs.length]}}\n`);
    pending.push(line);
    bytes += line.length;
    if (bytes >= 256 * 1024) {
      writeSync(fd, Buffer.concat(pending));
      pending = [];
      bytes = 0;
    }
  }
  if (pending.length) writeSync(fd, Buffer.concat(pending));
  closeSync(fd);
  const plainS = Number(process.hrtime.bigint() - t0) / 1e9;
  const plainBytes = statSync(plainFile).size;

  const recFile = path.join(dir, 'throughput.acgrec');
  let now = 0;
  const w = new RecordingWriter(recFile, header, { now: () => now });
  t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    now = i / 1.44;
    w.write({ ts: 1_700_000_000_000 + i, topic: 'acudp/car_update', data: msgs[i % msgs.length], retained: false });
  }
  const s = w.close();
  const recS = Number(process.hrtime.bigint() - t0) / 1e9;
  table(`1. throughput: ${f1(n)} AC car updates`, [
    ['', 'messages/s', 'MB/s in', 'file', 'bytes/message'],
    ['recorder (gzip chunks, CRC, index)', f1(n / recS), f1(s.rawBytes / recS / 1e6), mb(s.bytes), f1(s.bytes / n)],
    ['baseline: plain file, uncompressed', f1(n / plainS), f1(plainBytes / plainS / 1e6), mb(plainBytes), f1(plainBytes / n)],
  ]);
  console.log(`  ratio: the recorder writes at ${(recS / plainS).toFixed(1)}x the time of a plain append, into ${((100 * s.bytes) / plainBytes).toFixed(1)} % of its bytes`);
  return n / recS;
}

/** A plugin that publishes `cars` car updates every 1/hz s, paced on the clock. */
function carsAt(cars, hz) {
  let timer;
  let published = 0;
  const p = definePlugin({
    name: 'cars',
    apiVersion: API_VERSION,
    apply(api) {
      api.addSource({
        name: 'cars',
        start() {
          const started = performance.now();
          let tick = 0;
          const step = () => {
            const due = Math.floor(((performance.now() - started) / 1000) * hz);
            for (; tick < due; tick++) for (let c = 0; c < cars; c++) (api.publish('acudp/car_update', carUpdate(c, tick / hz), { key: String(c) }), published++);
            timer = setTimeout(step, 1000 / hz / 2);
          };
          step();
        },
        stop() {
          clearTimeout(timer);
        },
      });
    },
  });
  return { plugin: p(), published: () => published };
}

async function hostCpu(dir, withRecorder, seconds) {
  const cars = carsAt(24, 60);
  const plugins = [cars.plugin];
  const file = path.join(dir, `host-${withRecorder ? 'rec' : 'base'}.acgrec`);
  if (withRecorder) plugins.push(recorder({ record: { file, topics: ['acudp/#'] } }));
  const host = new Host({ config: { server: { enabled: false, statusIntervalMs: 0 }, plugins }, logger: createLogger({ level: 'silent' }) });
  await host.start();
  await new Promise((r) => setTimeout(r, 1000));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const p0 = cars.published();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const c = process.cpuUsage(c0);
  const wall = (performance.now() - t0) / 1000;
  const n = cars.published() - p0;
  await host.stop();
  return { cpu: (c.user + c.system) / 1e6 / wall, rate: n / wall, bytes: withRecorder ? statSync(file).size : 0 };
}

async function cost(dir) {
  const seconds = QUICK ? 6 : 20;
  // Alternate the runs so a busy moment of the machine does not land on one side only.
  const base = [];
  const rec = [];
  for (let i = 0; i < 2; i++) {
    base.push(await hostCpu(dir, false, seconds / 2));
    rec.push(await hostCpu(dir, true, seconds / 2));
  }
  const avg = (xs, k) => xs.reduce((a, x) => a + x[k], 0) / xs.length;
  const baseCpu = avg(base, 'cpu');
  const recCpu = avg(rec, 'cpu');
  const share = (recCpu - baseCpu) * 100;
  table(`2. a host carrying 24 cars at 60 Hz (${f1(avg(rec, 'rate'))} messages/s), ${seconds} s each`, [
    ['', 'CPU (% of one core)', 'messages/s'],
    ['with the recorder', (recCpu * 100).toFixed(2), f1(avg(rec, 'rate'))],
    ['baseline: the same host, no recorder', (baseCpu * 100).toFixed(2), f1(avg(base, 'rate'))],
  ]);
  console.log(`  ratio: ${(recCpu / baseCpu).toFixed(2)}x the baseline's CPU; the recorder's own share ${share.toFixed(2)} % of one core`);
  console.log(`  target (issue 21): recording 24 cars at 60 Hz costs under 5 % of one core: ${share < 5 ? 'met' : 'not met'} (${share.toFixed(2)} %)`);
}

async function hourSize(dir) {
  const file = path.join(dir, 'hour.acgrec');
  let now = 0;
  const w = new RecordingWriter(file, header, { now: () => now });
  const t0 = performance.now();
  const laps = new Array(24).fill(0);
  const lapMs = (c) => 90_000 + c * 250;
  const state = () => ({
    mode: 'udp',
    protocolVersion: 4,
    session: { name: 'Race', track: 'ks_nurburgring', elapsedMs: now },
    sessions: [],
    cars: laps.map((l, c) => ({ carId: c, connected: true, loaded: true, driverName: `Driver ${c}`, driverGuid: `7656119800000${String(c).padStart(4, '0')}`, driverTeam: '', carModel: 'ks_mazda_mx5_cup', carSkin: '00_official', laps: l, lastLapMs: l ? lapMs(c) : null, bestLapMs: l ? lapMs(c) : null })),
    leaderboard: null,
    lastResultsFile: null,
  });
  w.write({ ts: 0, topic: 'acudp/state', data: JSON.stringify(state()), retained: true });
  for (let tick = 0; tick < 36_000; tick++) {
    now = tick * 100;
    for (let c = 0; c < 24; c++) w.write({ ts: now, topic: 'acudp/car_update', data: JSON.stringify(carUpdate(c, now / 1000)), retained: false });
    for (let c = 0; c < 24; c++) {
      if (Math.floor(now / lapMs(c)) > laps[c]) {
        laps[c]++;
        const leaderboard = laps.map((l, k) => ({ carId: k, timeMs: lapMs(k) * l, laps: l, completed: false })).sort((a, b) => b.laps - a.laps);
        w.write({ ts: now, topic: 'acudp/lap_completed', data: JSON.stringify({ type: 'lap_completed', carId: c, lapTimeMs: lapMs(c), cuts: 0, leaderboard, gripLevel: 0.98 }), retained: false });
        w.write({ ts: now, topic: 'acudp/state', data: JSON.stringify(state()), retained: true });
      }
    }
  }
  const s = w.close();
  const secs = (performance.now() - t0) / 1000;
  const r = await RecordingReader.open(file);
  await r.close();
  table('3. one hour of a 24-car AC race at 10 Hz (car updates, laps, state after each lap)', [
    ['', 'messages', 'file', 'uncompressed', 'per hour'],
    ['.acgrec (gzip chunks)', f1(s.records), mb(s.bytes), mb(s.rawBytes), `${mb(s.bytes)}/h`],
  ]);
  console.log(`  ratio: ${((100 * s.bytes) / s.rawBytes).toFixed(1)} % of the uncompressed records; written in ${secs.toFixed(1)} s (${f1(s.records / secs)} messages/s), read back: ${r.records === s.records ? 'every record' : `${r.records} of ${s.records}`}`);
}

console.log(`# @acgateway/recorder benchmark (${QUICK ? 'quick' : 'full'}), node ${process.version}, ${os.cpus().length} cores`);
const tmp = await tempDir('acgrec-bench-');
try {
  await throughput(tmp.dir);
  await cost(tmp.dir);
  await hourSize(tmp.dir);
} finally {
  await tmp.remove();
}
