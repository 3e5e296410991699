import { existsSync } from 'node:fs';
import { readFile, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '@acgateway/testing';
import { ChunkKind, parseOffset, partName, RecordingReader, RecordingWriter, type RecordedMessage } from '@acgateway/recorder';

let tmp: { dir: string; remove(): Promise<void> };
beforeEach(async () => (tmp = await tempDir('acgrec-')));
afterEach(async () => tmp.remove());

const header = () => ({ gateway: { version: '9.9.9' }, plugins: [{ name: 'acudp', version: '1.0.0' }], topics: ['#'], recorder: 'test' });

/** A writer on a clock the test moves. */
function writer(file: string, options: ConstructorParameters<typeof RecordingWriter>[2] = {}) {
  let now = 0;
  const w = new RecordingWriter(file, header, { now: () => now, flushMs: 60_000, ...options });
  return { w, at: (t: number) => (now = t) };
}

async function readAll(file: string, options?: Parameters<RecordingReader['messages']>[0]): Promise<RecordedMessage[]> {
  const r = await RecordingReader.open(file);
  try {
    const out: RecordedMessage[] = [];
    for await (const m of r.messages(options)) out.push(m);
    return out;
  } finally {
    await r.close();
  }
}

describe('the .acgrec format', () => {
  it('round-trips messages, their order, times, timestamps, retained flags and the header', async () => {
    const file = path.join(tmp.dir, 'a.acgrec');
    const { w, at } = writer(file, { chunkBytes: 2048 });
    const sent: RecordedMessage[] = [];
    for (let i = 0; i < 500; i++) {
      at(i * 10.5);
      const m = { t: i * 10.5, ts: 1_700_000_000_000 + i, topic: i % 50 === 0 ? 'acudp/state' : 'acudp/car_update', data: JSON.stringify({ carId: i % 7, text: 'Zoë Ångström ✓', i }), retained: i % 50 === 0 };
      w.write(m);
      sent.push(m);
    }
    const stats = w.close();
    expect(stats.records).toBe(500);
    expect(stats.chunks).toBeGreaterThan(5);
    expect(stats.bytes).toBe((await stat(file)).size);
    // Compressed: the repetitive JSON shrinks.
    expect(stats.bytes).toBeLessThan(stats.rawBytes / 3);
    const r = await RecordingReader.open(file);
    expect(r.complete).toBe(true);
    expect(r.header).toMatchObject({ format: 'acgrec', version: 1, part: 0, gateway: { version: '9.9.9' }, plugins: [{ name: 'acudp', version: '1.0.0' }], topics: ['#'] });
    expect(r.records).toBe(500);
    expect(r.durationMs).toBe(499 * 10.5);
    await r.close();
    expect(await readAll(file)).toEqual(sent);
  });

  it('seeks with the index: from a time, with each retained topic restored as it stood then', async () => {
    const file = path.join(tmp.dir, 'seek.acgrec');
    const { w, at } = writer(file, { chunkBytes: 1024, keyframeMs: 1000 });
    for (let i = 0; i <= 600; i++) {
      at(i * 10);
      // The state changes every second; the status every 2.5 s; telemetry every 10 ms.
      if (i % 100 === 0) w.write({ ts: i, topic: 'acudp/state', data: JSON.stringify({ second: i / 100 }), retained: true });
      if (i % 250 === 0) w.write({ ts: i, topic: 'rf2/status', data: JSON.stringify({ at: i }), retained: true });
      w.write({ ts: i, topic: 'rf2/telemetry', data: JSON.stringify({ i }), retained: false });
    }
    w.close();
    const r = await RecordingReader.open(file);
    // Keyframes were written along the way.
    expect(r.chunks.filter((c) => c.kind === ChunkKind.Keyframe).length).toBeGreaterThanOrEqual(4);
    await r.close();
    const from = await readAll(file, { fromMs: 3555, withRetained: true });
    const retained = from.filter((m) => m.t === 3555 && m.retained);
    expect(Object.fromEntries(retained.map((m) => [m.topic, JSON.parse(m.data)]))).toEqual({ 'acudp/state': { second: 3 }, 'rf2/status': { at: 250 } });
    // Then the messages from 3555 ms on, none before.
    const live = from.slice(retained.length);
    expect(live[0]).toMatchObject({ topic: 'rf2/telemetry', t: 3560 });
    expect(live.every((m) => m.t >= 3555)).toBe(true);
    expect(live.filter((m) => m.topic === 'rf2/telemetry')).toHaveLength(245);
  });

  it('a recorder killed mid-write leaves a file readable up to its last whole chunk', async () => {
    const file = path.join(tmp.dir, 'cut.acgrec');
    const { w, at } = writer(file, { chunkBytes: 4096 });
    for (let i = 0; i < 2000; i++) {
      at(i);
      w.write({ ts: i, topic: 'acudp/car_update', data: JSON.stringify({ i, pad: 'x'.repeat(i % 40) }), retained: false });
    }
    w.close();
    const whole = await readAll(file);
    const r = await RecordingReader.open(file);
    const chunks = r.chunks.filter((c) => c.kind === ChunkKind.Messages);
    await r.close();
    // Cut inside the 5th messages chunk: no index, no trailer, half a chunk.
    const cutAt = chunks[4]!.offset + 100;
    await truncate(file, cutAt);
    const cut = await RecordingReader.open(file);
    expect(cut.complete).toBe(false);
    expect(cut.partialTailBytes).toBe(100);
    const expected = chunks.slice(0, 4).reduce((n, c) => n + c.records, 0);
    expect(cut.records).toBe(expected);
    await cut.close();
    expect(await readAll(file)).toEqual(whole.slice(0, expected));
  });

  it('stops at a damaged chunk instead of returning garbage', async () => {
    const file = path.join(tmp.dir, 'bad.acgrec');
    const { w, at } = writer(file, { chunkBytes: 1024, compress: false });
    for (let i = 0; i < 300; i++) {
      at(i);
      w.write({ ts: i, topic: 't/x', data: JSON.stringify({ i }), retained: false });
    }
    w.close();
    const r = await RecordingReader.open(file);
    const third = r.chunks[2]!;
    await r.close();
    const bytes = await readFile(file);
    bytes[third.offset + 40 + 5] ^= 0xff;
    // Without its trailer too, the reader walks the chunks and stops at the bad one.
    await writeFile(file, bytes.subarray(0, bytes.length - 16));
    const damaged = await RecordingReader.open(file);
    expect(damaged.chunks).toHaveLength(2);
    expect(damaged.partialTailBytes).toBeGreaterThan(0);
    await damaged.close();
  });

  it('refuses a file that is not a recording, and never overwrites one', async () => {
    const file = path.join(tmp.dir, 'x.acgrec');
    await writeFile(file, 'hello, not a recording');
    await expect(RecordingReader.open(file)).rejects.toThrow(/not an acgateway recording/);
    const { w } = writer(file);
    w.write({ ts: 1, topic: 'a/b', data: '1', retained: false });
    expect(() => w.flush()).toThrow(/exists: a recording never overwrites one/);
    expect(await readFile(file, 'utf8')).toBe('hello, not a recording');
  });

  it('rotates by size, keeps at most maxFiles, and each part replays on its own', async () => {
    const file = path.join(tmp.dir, 'rot.acgrec');
    const { w, at } = writer(file, { chunkBytes: 1024, maxBytes: 3000, maxFiles: 3, compress: false });
    w.write({ t: 0, ts: 0, topic: 'acudp/state', data: JSON.stringify({ s: 'first' }), retained: true });
    for (let i = 1; i < 400; i++) {
      at(i);
      w.write({ ts: i, topic: 'acudp/car_update', data: JSON.stringify({ i }), retained: false });
    }
    const stats = w.close();
    expect(stats.files.length).toBe(3);
    expect(existsSync(file)).toBe(false);
    for (const f of stats.files) {
      const r = await RecordingReader.open(f);
      expect(r.complete).toBe(true);
      expect(r.size).toBeLessThan(3000 + 1200);
      await r.close();
      // Each part starts with the retained state.
      const first = (await readAll(f, { withRetained: true }))[0]!;
      expect(first).toMatchObject({ topic: 'acudp/state', retained: true });
    }
    expect(path.basename(stats.files.at(-1)!)).toMatch(/^rot\.\d{3}\.acgrec$/);
    expect(partName('/x/race.acgrec', 2)).toBe(path.join('/x', 'race.002.acgrec'));
  });

  it('rotates at each new session with rotate: session (and not without it)', async () => {
    const file = path.join(tmp.dir, 'sessions.acgrec');
    const { w, at } = writer(file);
    const session = (name: string) => w.write({ ts: 0, topic: 'acudp/new_session', data: JSON.stringify({ name }), retained: false });
    session('Practice');
    for (let i = 0; i < 10; i++) w.write({ ts: i, topic: 'acudp/car_update', data: '{}', retained: false });
    at(100);
    session('Qualify');
    w.write({ ts: 1, topic: 'acudp/car_update', data: '{}', retained: false });
    at(200);
    session('Race');
    expect(w.close().files).toHaveLength(1);

    const file2 = path.join(tmp.dir, 'by-session.acgrec');
    const s = writer(file2, { rotate: 'session' });
    for (const name of ['Practice', 'Qualify', 'Race']) {
      s.w.write({ ts: 0, topic: 'acudp/new_session', data: JSON.stringify({ name }), retained: false });
      s.w.write({ ts: 0, topic: 'acudp/car_update', data: '{}', retained: false });
    }
    const files = s.w.close().files;
    expect(files).toHaveLength(3);
    const firsts = await Promise.all(files.map(async (f) => JSON.parse((await readAll(f))[0]!.data).name));
    expect(firsts).toEqual(['Practice', 'Qualify', 'Race']);
  });

  it('parses --from offsets and names what is wrong', () => {
    expect(parseOffset('00:12:30')).toBe(750_000);
    expect(parseOffset('12:30')).toBe(750_000);
    expect(parseOffset('90.5')).toBe(90_500);
    expect(() => parseOffset('12m')).toThrow(/"12m" is not a time into the recording/);
  });
});
