import { existsSync, promises as fs, type WriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestHost, sleep, tempDir, until, type TestHost } from '@acgateway/testing';
import { acudp, decodeDatagram, decodeRecording, Direction, encodeEvent, encodeFileHeader, encodeRecord, loadReplay, Recorder, Replayer, type AcspEvent } from '@acgateway/plugin-acudp';
import { type FakeAcServer } from '@acgateway/plugin-acudp/fake';
import { SAMPLE_EVENTS } from './samples.js';
import { hostWithFake, loopbackUdp, replayDone } from './helpers.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const acOut = path.resolve(repoRoot, '../shared/data/acudp/ac_out');
const haveData = existsSync(acOut);
if (!haveData) console.warn('replay of the real capture skipped: ../shared/data/acudp/ac_out (from the repository root) is absent');

let tmp: Awaited<ReturnType<typeof tempDir>>;
let t: TestHost | undefined;
let fake: FakeAcServer | undefined;

beforeEach(async () => {
  tmp = await tempDir('acudp-record-');
});

afterEach(async () => {
  await t?.stop();
  await fake?.stop();
  t = undefined;
  fake = undefined;
  await tmp.remove();
});

const eventTopics = (host: TestHost) =>
  host.messages.filter((m) => m.topic.startsWith('acudp/') && !['acudp/state', 'acudp/replay', 'acudp/car_updates'].includes(m.topic)).map((m) => m.data as AcspEvent);

describe('recording format', () => {
  it('round-trips records and keeps whole records of a file cut short', () => {
    const a = encodeEvent(SAMPLE_EVENTS[0]!);
    const b = encodeEvent(SAMPLE_EVENTS[1]!);
    const file = Buffer.concat([encodeFileHeader(1_700_000_000_000), encodeRecord(0, Direction.ToPlugin, a), encodeRecord(12.5, Direction.ToServer, Buffer.from([207])), encodeRecord(40.25, Direction.ToPlugin, b)]);
    const rec = decodeRecording(file);
    expect(rec.startedAt).toBe(1_700_000_000_000);
    expect(rec.datagrams.map((d) => [d.tMs, d.direction, d.bytes.length])).toEqual([
      [0, 0, a.length],
      [12.5, 1, 1],
      [40.25, 0, b.length],
    ]);
    expect(rec.partialTail).toBe(0);
    const cut = decodeRecording(file.subarray(0, file.length - 5));
    expect(cut.datagrams).toHaveLength(2);
    expect(cut.partialTail).toBe(12 + b.length - 5);
  });

  it('refuses what is not a recording, or a later version', () => {
    expect(() => decodeRecording(Buffer.from('hello world, not a recording'))).toThrow(/does not start with "ACUDPREC"/);
    const v2 = encodeFileHeader(0);
    v2.writeUInt16LE(2, 8);
    expect(() => decodeRecording(v2)).toThrow(/version 2 is not supported/);
  });

  it('the recorder writes beside the target, then moves it into place keeping a backup', async () => {
    const file = path.join(tmp.dir, 'sub', 'session.acudp');
    const r1 = new Recorder(file);
    await r1.open();
    r1.write(Direction.ToPlugin, encodeEvent(SAMPLE_EVENTS[0]!));
    expect(existsSync(file)).toBe(false);
    expect(await r1.close()).toBeUndefined();
    expect(decodeRecording(await fs.readFile(file)).datagrams).toHaveLength(1);
    const r2 = new Recorder(file);
    await r2.open();
    r2.write(Direction.ToPlugin, encodeEvent(SAMPLE_EVENTS[1]!));
    r2.write(Direction.ToPlugin, encodeEvent(SAMPLE_EVENTS[2]!));
    const backup = await r2.close();
    expect(backup && decodeRecording(await fs.readFile(backup)).datagrams).toHaveLength(1);
    expect(decodeRecording(await fs.readFile(file)).datagrams).toHaveLength(2);
    const left = await fs.readdir(path.dirname(file));
    expect(left.filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('a disk that fails mid-recording is reported by close(), which neither hangs nor puts a partial file in place', async () => {
    const file = path.join(tmp.dir, 'failing.acudp');
    const rec = new Recorder(file);
    await rec.open();
    rec.write(Direction.ToPlugin, encodeEvent(SAMPLE_EVENTS[0]!));
    // What a full disk does to the stream: an error, after which the stream closes itself.
    const stream = (rec as unknown as { stream: WriteStream }).stream;
    stream.destroy(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    await new Promise<void>((r) => stream.once('close', () => r()));
    rec.write(Direction.ToPlugin, encodeEvent(SAMPLE_EVENTS[1]!));
    expect(rec.stats).toMatchObject({ records: 1, dropped: 1 });
    await expect(rec.close()).rejects.toThrow(/recording .*failing\.acudp failed: ENOSPC.*partial data in .*\.partial/);
    expect(existsSync(file)).toBe(false);
  });
});

describe('replayer', () => {
  it('plays at the chosen speed: later datagrams wait, a faster speed arrives sooner', async () => {
    const bytes = encodeEvent(SAMPLE_EVENTS[0]!);
    const source = { file: 'x', format: 'recording' as const, datagrams: [{ tMs: 0, bytes }, { tMs: 10_000, bytes }] };
    const slow = new Replayer(source, { speed: 1, onDatagram: () => {} });
    slow.start();
    await sleep(100);
    expect(slow.played).toBe(1);
    expect(slow.done).toBe(false);
    slow.stop();
    const fast = new Replayer(source, { speed: 1000, onDatagram: () => {} });
    fast.start();
    await until('a 10 s recording at 1000x', () => fast.done, 3000);
    expect(fast.played).toBe(2);
    let passes = 0;
    const looping = new Replayer(source, { speed: 'max', loop: true, onDatagram: () => {}, onPassEnd: (p) => (passes = p) });
    looping.start();
    await until('three passes', () => passes >= 3, 3000);
    looping.stop();
    expect(looping.played).toBeGreaterThanOrEqual(6);
    expect(() => new Replayer(source, { speed: 0, onDatagram: () => {} })).toThrow(/positive number or 'max'/);
  });

  it('loads raw captures by splitting, and says what is wrong with a bad file', async () => {
    const capture = path.join(tmp.dir, 'capture.bin');
    await fs.writeFile(capture, Buffer.concat([...SAMPLE_EVENTS.map((e) => encodeEvent(e)), Buffer.from([57, 1, 99])]));
    const src = await loadReplay(capture, { gapMs: 5 });
    expect(src.format).toBe('capture');
    expect(src.datagrams.map((d) => d.tMs)).toEqual(SAMPLE_EVENTS.map((_, i) => i * 5));
    expect(src.problem).toMatch(/parsing stopped at byte \d+ .*string_overrun/);
    await expect(loadReplay(path.join(tmp.dir, 'nope.bin'))).rejects.toThrow(/replay file not found: .*nope\.bin/);
    const junk = path.join(tmp.dir, 'junk.bin');
    await fs.writeFile(junk, 'this is text');
    await expect(loadReplay(junk)).rejects.toThrow(/neither an acudp recording nor a raw ACSP capture/);
  });
});

describe('record and replay through the plugin', () => {
  it('records a live session (both directions) and replays it flat out to the same events', async () => {
    const file = path.join(tmp.dir, 'live.acudp');
    ({ t, fake } = await hostWithFake({ realtimeIntervalMs: 50, record: { file } }, { cars: 3, lapMs: 250, loadDelayMs: 10, chatEveryMs: 0, collisionEveryMs: 0 }));
    await t.waitFor('acudp/lap_completed');
    fake.chat(2, 'recorded 🎙');
    await t.waitFor('acudp/chat');
    await t.dispatch('ac broadcast bye');
    await until('the broadcast at the server', () => fake!.received.some((c) => c.type === 'broadcast_chat'));
    await fake.stop();
    fake = undefined;
    const live = eventTopics(t);
    const liveConflated = await t.metric('acudp_conflated_total');
    await t.stop();
    t = undefined;

    const rec = decodeRecording(await fs.readFile(file));
    const toServer = rec.datagrams.filter((d) => d.direction === Direction.ToServer).map((d) => d.bytes[0]);
    expect(toServer).toEqual(expect.arrayContaining([200, 204, 203]));
    const recordedEvents = rec.datagrams.filter((d) => d.direction === Direction.ToPlugin).map((d) => decodeDatagram(d.bytes)).map((r) => (r.ok ? r.value : null));
    // The recording holds every datagram; live, car updates of one car in one turn were conflated.
    const notCar = (evs: Array<AcspEvent | null>) => evs.filter((e) => e?.type !== 'car_update');
    const lastPerCar = (evs: Array<AcspEvent | null>) => Object.fromEntries(evs.filter((e) => e?.type === 'car_update').map((e) => [(e as { carId: number }).carId, e]));
    expect(notCar(recordedEvents)).toEqual(notCar(live));
    expect(lastPerCar(recordedEvents)).toEqual(lastPerCar(live));
    expect(live.length + liveConflated).toBe(recordedEvents.length);
    expect(rec.datagrams.every((d, i) => i === 0 || d.tMs >= rec.datagrams[i - 1]!.tMs)).toBe(true);

    t = await createTestHost({ plugins: [acudp({ replay: { file, speed: 'max' } })] });
    await until('the replay to end', () => replayDone(t!));
    // Flat out, car updates of one car that come in one turn are conflated (the newest kept, counted);
    // every other event comes again, in order, and every car ends where it ended live.
    const replayed = eventTopics(t);
    expect(notCar(replayed)).toEqual(notCar(live));
    expect(lastPerCar(replayed)).toEqual(lastPerCar(live));
    expect(replayed.length + (await t.metric('acudp_conflated_total'))).toBe(recordedEvents.length);
    expect(t.published('acudp/chat').map((m) => (m.data as { message: string }).message)).toEqual(['recorded 🎙']);
  });

  it('a recording cut short replays its whole records and is reported as bad input', async () => {
    const file = path.join(tmp.dir, 'cut.acudp');
    const a = encodeEvent({ type: 'chat', carId: 1, message: 'one' });
    await fs.writeFile(file, Buffer.concat([encodeFileHeader(Date.now()), encodeRecord(0, Direction.ToPlugin, a), encodeRecord(1, Direction.ToPlugin, a).subarray(0, 7)]));
    t = await createTestHost({ plugins: [acudp({ replay: { file, speed: 'max' } })] });
    await t.waitFor('acudp/chat');
    await until('the replay to end', () => replayDone(t!));
    expect(t.published('acudp/chat')).toHaveLength(1);
    expect(t.logs.some((l) => l.level === 40 && String(l.msg).includes('partial record of 7 bytes'))).toBe(true);
    expect(await t.metric('acgateway_bad_input_total', { plugin: 'acudp', kind: 'replay_file' })).toBe(1);
  });

  it('relative record and replay paths resolve from the config file\'s folder', async () => {
    const sink = await loopbackUdp();
    t = await createTestHost({ configDir: tmp.dir, plugins: [acudp({ listenPort: 0, serverPort: sink.port, record: { file: 'rel/session.acudp' } })] });
    await t.stop();
    t = undefined;
    sink.socket.close();
    // The start-up GET_SESSION_INFO, recorded as it left.
    expect(decodeRecording(await fs.readFile(path.join(tmp.dir, 'rel', 'session.acudp'))).datagrams.length).toBeGreaterThan(0);
    t = await createTestHost({ configDir: tmp.dir, plugins: [acudp({ replay: { file: 'rel/session.acudp', speed: 'max' } })] });
    await until('the replay to end', () => replayDone(t!));
    expect(t.host.bus.last<{ file: string }>('acudp/replay')?.data.file).toBe(path.join(tmp.dir, 'rel', 'session.acudp'));
  });

  it('a missing replay file stops the start with its name', async () => {
    await expect(createTestHost({ plugins: [acudp({ replay: { file: path.join(tmp.dir, 'missing.acudp') } })] })).rejects.toThrow(/replay file not found: .*missing\.acudp/);
  });

  it.skipIf(!haveData)('replays the real capture ac_out: 395 events, state, and verbs that would need a server refused', async () => {
    t = await createTestHost({ plugins: [acudp({ replay: { file: acOut, speed: 'max' } })] });
    await until('the replay to end', () => replayDone(t!), 10_000);
    const events = eventTopics(t);
    expect(events).toHaveLength(395);
    expect(t.published('acudp/lap_completed')).toHaveLength(155);
    expect(t.published('acudp/client_event')).toHaveLength(72);
    await until('a state with a leaderboard', () => (t!.host.bus.last<{ leaderboard: unknown }>('acudp/state')?.data.leaderboard ?? null) !== null);
    const state = (await t.dispatch('ac state', { role: 'read' })) as { mode: string; session: { track: string }; cars: unknown[] };
    expect(state.mode).toBe('replay');
    expect(state.session.track).toBe('ks_red_bull_ring');
    expect(state.cars.length).toBeGreaterThan(0);
    await expect(t.dispatch('ac chat 1 hi')).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('replaying') });
    await expect(t.dispatch('ac session')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
