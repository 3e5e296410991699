import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@acgateway/client';
import { createTestHost, tempDir, until, type TestHost } from '@acgateway/testing';
import acudp from '@acgateway/plugin-acudp';
import { FakeAcServer } from '@acgateway/plugin-acudp/fake';
import rf2 from '@acgateway/plugin-rf2';
import { Rf2Simulator } from '@acgateway/plugin-rf2/fake';
import { RecordingReader, recorder, type RecordedMessage } from '@acgateway/recorder';

// `acgateway record` as users run it (the built bin, a child process) against a live host: acudp
// on the fake AC server and rf2 on the simulator. Then the recording replays into a second host.
const bin = path.resolve(fileURLToPath(import.meta.url), '../../../cli/bin/acgateway.js');
const built = existsSync(path.resolve(bin, '../../dist/main.js'));

let tmp: { dir: string; remove(): Promise<void> };
let live: TestHost;
let fake: FakeAcServer;
let sim: Rf2Simulator;
const children: ChildProcess[] = [];

beforeAll(async () => {
  tmp = await tempDir('acgrec-live-');
  fake = new FakeAcServer({ cars: 6, lapMs: 3000, loadDelayMs: 10, chatEveryMs: 700, collisionEveryMs: 900 });
  await fake.start();
  sim = new Rf2Simulator({ dir: path.join(tmp.dir, 'rf2'), vehicles: 4, playerName: 'Replay Driver' });
  sim.start();
  live = await createTestHost({ plugins: [acudp({ listenPort: 0, serverPort: fake.commandPort, realtimeIntervalMs: 50}), rf2({ dir: path.join(tmp.dir, 'rf2'), pollHz: 50, feed: { port: 0 } })] });
  const listenPort = (live.host.describe().find((p) => p.name === 'acudp')!.sources[0]!.status as { listenPort: number }).listenPort;
  fake.setPluginAddress(listenPort);
  await live.waitFor('rf2/telemetry', undefined, 10_000);
  await live.waitFor('acudp/car_update', undefined, 10_000);
}, 30_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await live?.stop();
  await fake?.stop();
  sim?.stop();
  await tmp?.remove();
});

function record(out: string, extra: string[] = []) {
  const child = spawn(process.execPath, [bin, 'record', '--url', live.urls.gateway, '-t', 'acudp/#', 'rf2/#', '-o', out, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, out: () => stdout, err: () => stderr };
}

async function readAll(file: string, withRetained = false): Promise<{ messages: RecordedMessage[]; reader: RecordingReader }> {
  const reader = await RecordingReader.open(file);
  const messages: RecordedMessage[] = [];
  for await (const m of reader.messages({ withRetained })) messages.push(m);
  await reader.close();
  return { messages, reader };
}

/** `b` holds `a`'s messages in `a`'s order (it may hold more). */
function inOrder(a: Array<{ topic: string; data: unknown }>, b: Array<{ topic: string; data: unknown }>): boolean {
  const key = (m: { topic: string; data: unknown }) => `${m.topic} ${JSON.stringify(m.data)}`;
  let j = 0;
  for (const m of a) {
    const k = key(m);
    while (j < b.length && key(b[j]!) !== k) j++;
    if (j++ >= b.length) return false;
  }
  return true;
}

describe.skipIf(!built)('acgateway record, kill, replay', () => {
  let complete: string;

  it('records over the websocket until Ctrl-C: a complete file with the header, every topic, and a summary', async () => {
    complete = path.join(tmp.dir, 'race.acgrec');
    const r = record(complete);
    await until('a recording on disk', () => existsSync(complete) && statSync(complete).size > 20_000, 15_000);
    r.child.kill('SIGINT');
    const { code } = await r.exited;
    expect(r.err()).not.toMatch(/gap/);
    expect(code).toBe(0);
    expect(r.out()).toMatch(/^recorded [\d,]+ messages on \d+ topics over 0:\d\d: [\d.]+ KB in .*race\.acgrec/m);
    const { messages, reader } = await readAll(complete);
    expect(reader.complete).toBe(true);
    expect(reader.header).toMatchObject({ format: 'acgrec', topics: ['acudp/#', 'rf2/#'], gateway: { url: live.urls.gateway } });
    expect(reader.header.gateway.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(reader.header.plugins.map((p) => p.name)).toEqual(expect.arrayContaining(['core', 'acudp', 'rf2']));
    const topics = new Set(messages.map((m) => m.topic));
    for (const t of ['acudp/car_update', 'acudp/state', 'rf2/telemetry', 'rf2/status', 'rf2/player']) expect(topics).toContain(t);
    // Retained values are kept as such.
    expect(messages.find((m) => m.topic === 'acudp/state')!.retained).toBe(true);
    expect(messages.filter((m) => m.topic === 'acudp/car_update').every((m) => !m.retained)).toBe(true);
    // What the recorder wrote is what the host published, in the host's order.
    const recordedLive = messages.filter((m) => !m.retained).map((m) => ({ topic: m.topic, data: JSON.parse(m.data) }));
    expect(recordedLive.length).toBeGreaterThan(100);
    expect(inOrder(recordedLive, live.published('#').map((m) => ({ topic: m.topic, data: JSON.parse(JSON.stringify(m.data)) })))).toBe(true);
  });

  it('--duration stops the recorder by itself, with its summary', async () => {
    const file = path.join(tmp.dir, 'timed.acgrec');
    const r = record(file, ['--duration', '1']);
    expect(await r.exited).toEqual({ code: 0, signal: null });
    expect(r.err()).toMatch(/for 1 s/);
    expect(r.out()).toMatch(/^recorded [\d,]+ messages on \d+ topics over 0:0[01]: /m);
    const { reader } = await readAll(file);
    expect(reader.complete).toBe(true);
    expect(reader.durationMs).toBeLessThan(1500);
  });

  it('a recorder killed with SIGKILL mid-write leaves a file readable up to its last whole chunk', async () => {
    const file = path.join(tmp.dir, 'killed.acgrec');
    const r = record(file);
    await until('three chunks on disk', () => existsSync(file) && statSync(file).size > 30_000, 15_000);
    r.child.kill('SIGKILL');
    expect((await r.exited).signal).toBe('SIGKILL');
    const { messages, reader } = await readAll(file);
    expect(reader.complete).toBe(false);
    expect(messages.length).toBeGreaterThan(50);
    // Every record is whole: its data parses and it was published by the host.
    const data = messages.map((m) => ({ topic: m.topic, data: JSON.parse(m.data) as unknown }));
    expect(inOrder(data.filter((_, i) => !messages[i]!.retained), live.published('#').map((m) => ({ topic: m.topic, data: JSON.parse(JSON.stringify(m.data)) })))).toBe(true);
  });

  it('replays into a second host: the same messages in the same order, retained first, and clients see them as live', async () => {
    const { messages } = await readAll(complete, true);
    const replay = await createTestHost({ plugins: [recorder({ replay: { file: complete, speed: 20 } })] });
    try {
      await until('the replay to finish', () => (replay.host.describe().find((p) => p.name === 'recorder')!.sources[0]!.status as { state: string }).state === 'finished', 20_000);
      const got = replay.published('#').filter((m) => !m.topic.startsWith('core/'));
      expect(got.map((m) => m.topic)).toEqual(messages.map((m) => m.topic));
      expect(got.map((m) => m.data)).toEqual(messages.map((m) => JSON.parse(m.data)));
      expect(got.map((m) => m.retain)).toEqual(messages.map((m) => m.retained));
      // A client of the replaying gateway gets the retained state as from the live source.
      const gw = connect(replay.urls.gateway, { reconnect: false });
      const state = await new Promise<{ data: unknown; retained?: boolean }>((resolve) => gw.subscribe('acudp/state', resolve));
      gw.close();
      const lastState = messages.filter((m) => m.topic === 'acudp/state').at(-1)!;
      expect(state).toMatchObject({ retained: true, data: JSON.parse(lastState.data) });
    } finally {
      await replay.stop();
    }
  });

  it('replay with loop starts again at the end, the retained values first each time', async () => {
    const { messages } = await readAll(complete, true);
    const updates = messages.filter((m) => m.topic === 'acudp/car_update').length;
    const replay = await createTestHost({ plugins: [recorder({ replay: { file: complete, speed: 'max', loop: true } })] });
    try {
      const status = () => replay.host.describe().find((p) => p.name === 'recorder')!.sources[0]!.status as { state: string; loops: number };
      await until('two passes', () => status().loops >= 2, 20_000);
      expect(status().state).toBe('replaying');
      expect(replay.published('acudp/car_update').length).toBeGreaterThanOrEqual(2 * updates);
      // Each pass begins with the retained values as they stood at its start.
      const states = replay.published('acudp/state').filter((m) => m.retain);
      expect(states.filter((m) => JSON.stringify(m.data) === JSON.stringify(JSON.parse(messages.find((x) => x.topic === 'acudp/state')!.data))).length).toBeGreaterThanOrEqual(2);
    } finally {
      await replay.stop();
    }
  });

  it('acgateway replay --from seeks: the retained values as they stood then come first', async () => {
    const { reader } = await readAll(complete);
    const fromS = Math.round(reader.durationMs / 2) / 1000;
    expect(fromS).toBeGreaterThan(0.3);
    const replay = await createTestHost({ plugins: [recorder({ replay: { file: complete, speed: 'max', from: fromS } })] });
    try {
      await until('the replay to finish', () => (replay.host.describe().find((p) => p.name === 'recorder')!.sources[0]!.status as { state: string }).state === 'finished', 20_000);
      const got = replay.published('#').filter((m) => !m.topic.startsWith('core/'));
      const { messages } = await readAll(complete);
      const expectedLive = messages.filter((m) => m.t >= fromS * 1000);
      const state = messages.filter((m) => m.topic === 'acudp/state' && m.t < fromS * 1000).at(-1)!;
      const firstLive = got.length - expectedLive.length;
      expect(got.slice(0, firstLive).every((m) => m.retain)).toBe(true);
      expect(got.slice(0, firstLive).find((m) => m.topic === 'acudp/state')!.data).toEqual(JSON.parse(state.data));
      expect(got.slice(firstLive).map((m) => m.topic)).toEqual(expectedLive.map((m) => m.topic));
    } finally {
      await replay.stop();
    }
  });

  it('exports with the CLI: a file list and a summary of records, topics, duration and bytes', async () => {
    const out = path.join(tmp.dir, 'export');
    const child = spawn(process.execPath, [bin, 'export', complete, '-f', 'parquet', '-o', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
    expect(stdout).toMatch(/acudp\.car_update\.parquet +[\d,]+ rows +[\d.]+ KB/);
    expect(stdout).toMatch(/^exported [\d,]+ records on \d+ topics \(0:\d\d of recording\) as parquet: \d+ file\(s\), [\d.]+ [KM]B, in [\d.]+ s$/m);
  });

  it('a recorder the gateway had to drop messages for exits 1 and says the recording has gaps', async () => {
    // A gateway with a tiny queue bound; the recorder is frozen (SIGSTOP) while messages pour in.
    const small = await createTestHost({ config: { server: { maxQueue: 5, backpressure: { highWaterBytes: 1024, maxBufferedBytes: 64 * 1024 * 1024, stallMs: 60_000 } } } });
    try {
      const file = path.join(tmp.dir, 'gaps.acgrec');
      const child = spawn(process.execPath, [bin, 'record', '--url', small.urls.gateway, '-t', 'flood/#', '-o', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      await until('recording', () => /recording flood/.test(stderr), 10_000);
      child.kill('SIGSTOP');
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 500; i++) small.host.bus.publish(`flood/${i % 10}`, { round, i, pad: 'x'.repeat(200) });
        await new Promise((r) => setTimeout(r, 10));
      }
      child.kill('SIGCONT');
      await until('the drop reported', () => /dropped \d+ message/.test(stderr), 10_000);
      child.kill('SIGINT');
      expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(1);
      expect(stderr).toMatch(/the recording has gaps: \d+ message\(s\) dropped by the gateway/);
    } finally {
      await small.stop();
    }
  });

  it('acgateway replay runs an .acudp datagram recording through acudp, as before', async () => {
    // A datagram recording made by acudp's own `record` option.
    const file = path.join(tmp.dir, 'live.acudp');
    const server = new FakeAcServer({ cars: 3, lapMs: 3000, loadDelayMs: 10, chatEveryMs: 0, collisionEveryMs: 0 });
    await server.start();
    const maker = await createTestHost({ plugins: [acudp({ listenPort: 0, serverPort: server.commandPort, realtimeIntervalMs: 50, record: { file } })] });
    server.setPluginAddress((maker.host.describe().find((p) => p.name === 'acudp')!.sources[0]!.status as { listenPort: number }).listenPort);
    await maker.waitFor('acudp/car_update', undefined, 10_000);
    await maker.stop();
    await server.stop();
    const child = spawn(process.execPath, [bin, 'replay', file, '--port', '0', '--loop', '-l', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const url = (await until('the banner', () => /--url (ws:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1], 15_000)) as string;
    const gw = connect(url, { reconnect: false });
    const update = await new Promise<{ data: unknown }>((resolve) => gw.subscribe('acudp/car_update', resolve));
    const state = await new Promise<{ data: { mode: string } }>((resolve) => gw.subscribe('acudp/state', (m) => resolve(m as { data: { mode: string } })));
    gw.close();
    expect(update.data).toMatchObject({ type: 'car_update' });
    expect(state.data.mode).toBe('replay');
    child.kill('SIGINT');
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
  });

  it('the replay CLI refuses what is not a recording, and a --from past the end', async () => {
    const bad = spawn(process.execPath, [bin, 'replay', bin, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    bad.stderr!.on('data', (d) => (err += d));
    const code = await new Promise((resolve) => bad.on('exit', resolve));
    expect(code).toBe(2);
    expect(err).toMatch(/is neither an acgateway recording \(\.acgrec\) nor an acudp one/);
    const late = spawn(process.execPath, [bin, 'replay', complete, '--port', '0', '--from', '10:00:00'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(late);
    let out = '';
    late.stdout!.on('data', (d) => (out += d));
    late.stderr!.on('data', (d) => (out += d));
    expect(await new Promise((resolve) => late.on('exit', resolve))).toBe(1);
    expect(out).toMatch(/from 36000 s is past the end of .*race\.acgrec/);
  });
});
