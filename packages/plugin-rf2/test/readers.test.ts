import fs from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COPY_LAYOUTS, ConsistentCopy, FileMappingOpener, TELEMETRY, WindowsMappingOpener, decodeTelemetry, newDecodeStats, type MappedRegion } from '@acgateway/plugin-rf2';
import { Rf2FileWriter } from '@acgateway/plugin-rf2/fake';
import { sleep, tempDir } from '@acgateway/testing';
import { field } from './helpers.js';

const telemetryLayout = COPY_LAYOUTS.Telemetry;

let tmp: Awaited<ReturnType<typeof tempDir>>;
const regions: MappedRegion[] = [];
beforeEach(async () => {
  tmp = await tempDir('acgw-rf2-');
});
afterEach(async () => {
  for (const r of regions.splice(0)) r.close();
  await tmp.remove();
});

function open(mode: 'mmap' | 'read', suffix?: string): MappedRegion {
  const r = new FileMappingOpener({ dir: tmp.dir, mode, suffix }).open('Telemetry');
  if (!r.ok) throw new Error(r.reason);
  regions.push(r.region);
  return r.region;
}

describe('file readers', () => {
  it('loads koffi only when a buffer is mapped', () => {
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => /[/\\]koffi[/\\]/.test(k));
    new Rf2FileWriter({ dir: tmp.dir }).open().close();
    open('read');
    expect(loaded()).toBe(false);
    open('mmap');
    expect(loaded()).toBe(true);
  });

  it('maps the file with mmap and sees later writes; pread gives the same bytes', () => {
    const w = new Rf2FileWriter({ dir: tmp.dir, suffix: '777' }).open();
    w.writeTelemetry(field().telemetry);
    const m = open('mmap', '777');
    const p = open('read', '777');
    expect(m.kind).toBe('mmap');
    expect(m.location).toMatch(/\$rFactor2SMMP_Telemetry\$777$/);
    const a = Buffer.alloc(TELEMETRY.mappingBytes);
    const b = Buffer.alloc(TELEMETRY.mappingBytes);
    expect(m.read(a, a.length)).toBe(true);
    expect(p.read(b, b.length)).toBe(true);
    expect(a.equals(fs.readFileSync(w.paths.Telemetry))).toBe(true);
    expect(b.equals(a)).toBe(true);
    w.writeTelemetry({ vehicles: [{ id: 42, gear: 2 }] });
    m.read(a, a.length);
    expect(decodeTelemetry(a, newDecodeStats()).vehicles.map((v) => v.id)).toEqual([42]);
    w.close();
  });

  it('refuses a missing file and a file shorter than the layout, naming the file and the sizes', () => {
    const opener = new FileMappingOpener({ dir: tmp.dir, mode: 'mmap' });
    const missing = opener.open('Telemetry');
    expect(missing).toMatchObject({ ok: false, code: 'not_found' });
    expect(!missing.ok && missing.reason).toContain('$rFactor2SMMP_Telemetry$ does not exist');
    new Rf2FileWriter({ dir: tmp.dir, sizes: { Telemetry: 1000, Scoring: 75311 } }).open().close();
    const short = opener.open('Telemetry');
    expect(short).toMatchObject({ ok: false, code: 'too_short' });
    expect(!short.ok && short.reason).toContain('is 1000 bytes, shorter than the 241680-byte Telemetry layout');
    expect(opener.open('Scoring')).toMatchObject({ ok: false, code: 'too_short' });
  });

  it('accepts a file bigger than the layout (bridges round it up)', () => {
    new Rf2FileWriter({ dir: tmp.dir, sizes: { Telemetry: 250000 } }).open().close();
    const r = open('mmap');
    expect(r.size).toBe(241680);
    expect(r.gone()).toBeUndefined();
  });

  it('notices a file that shrank, was removed or was recreated', async () => {
    const w = new Rf2FileWriter({ dir: tmp.dir }).open();
    const m = open('mmap');
    fs.truncateSync(w.paths.Telemetry, 100);
    expect(m.gone()).toContain('shrank to 100 bytes');
    m.close();
    w.open(); // unlinks and creates anew
    const again = open('mmap');
    const pread = open('read');
    w.remove();
    await sleep(1100);
    expect(again.gone()).toContain('was removed');
    w.open();
    expect(pread.gone()).toContain('was recreated');
    w.close();
  });

  it('the Windows reader fails cleanly where kernel32 does not exist', () => {
    const r = new WindowsMappingOpener({ suffix: '12', global: true });
    expect(r.describe('Scoring')).toBe('Global\\$rFactor2SMMP_Scoring$12');
    const res = r.open('Telemetry');
    expect(res.ok).toBe(false);
    expect(!res.ok && res.reason).toMatch(/kernel32/);
  });
});

describe('consistent copies (torn-read protocol)', () => {
  it('reports fresh, then unchanged, then fresh again after a write', async () => {
    const w = new Rf2FileWriter({ dir: tmp.dir }).open();
    w.writeTelemetry(field().telemetry);
    const c = new ConsistentCopy(telemetryLayout);
    const r = open('mmap');
    expect(await c.take(r)).toBe('fresh');
    expect(c.length).toBe(16 + 3 * 1888);
    expect(await c.take(r)).toBe('unchanged');
    w.writeTelemetry({ vehicles: [{ id: 1 }] });
    expect(await c.take(r)).toBe('fresh');
    expect(decodeTelemetry(c.data, newDecodeStats()).vehicles.map((v) => v.id)).toEqual([1]);
    w.close();
  });

  it('never hands on a buffer left mid-write, keeps the last good copy, and does not wait on a stuck pair twice', async () => {
    const w = new Rf2FileWriter({ dir: tmp.dir, initialVersion: 0xfffffffe }).open();
    w.writeTelemetry(field().telemetry);
    const c = new ConsistentCopy(telemetryLayout, { retries: 3 });
    const r = open('read');
    expect(await c.take(r)).toBe('fresh');
    w.beginWrite('Telemetry'); // Begin wraps to 0, End stays at 0xffffffff
    w.writeRaw('Telemetry', 16, Buffer.alloc(4, 0xff));
    expect(await c.take(r)).toBe('torn');
    expect(c.stats.tornCopies).toBe(4);
    expect(c.lastTorn).toEqual({ begin: 0, end: 0xffffffff });
    expect(await c.take(r)).toBe('torn');
    expect(c.stats.tornCopies).toBe(5); // the stuck pair is not retried
    expect(c.stats.tornTakes).toBe(2);
    expect(decodeTelemetry(c.data, newDecodeStats()).vehicles[0]!.id).toBe(2);
    w.endWrite('Telemetry');
    expect(await c.take(r)).toBe('fresh');
    expect(decodeTelemetry(c.data, newDecodeStats()).vehicles[0]!.id).toBe(-1);
    w.close();
  });

  it('retries a copy that a write overlapped and returns the new frame whole', async () => {
    const w = new Rf2FileWriter({ dir: tmp.dir }).open();
    w.writeTelemetry(field().telemetry);
    const real = open('mmap');
    let reads = 0;
    // The game writes a new frame while the reader is copying: the copy sees the new Begin only.
    const overlapped: MappedRegion = {
      kind: real.kind,
      location: real.location,
      size: real.size,
      outlivesWriter: real.outlivesWriter,
      gone: () => real.gone(),
      close: () => real.close(),
      read(dest, len) {
        if (++reads === 2) {
          w.beginWrite('Telemetry');
          w.images.writeTelemetryPayload({ vehicles: [{ id: 77 }, { id: 78 }] });
          w.writeRaw('Telemetry', 8, w.images.telemetry.subarray(8, 16 + 2 * 1888));
          const ok = real.read(dest, len);
          w.endWrite('Telemetry');
          return ok;
        }
        return real.read(dest, len);
      },
    };
    const c = new ConsistentCopy(telemetryLayout);
    expect(await c.take(overlapped)).toBe('fresh');
    expect(c.stats.tornCopies).toBe(1);
    expect(decodeTelemetry(c.data, newDecodeStats()).vehicles.map((v) => v.id)).toEqual([77, 78]);
    w.close();
  });
});
