import path from 'node:path';
import { promises as fs } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestHost, tempDir, until, type TestHost } from '@acgateway/testing';
import { acudp, decodeDatagram, Direction, encodeFileHeader, encodeRecord, type DecodeErrorReason } from '@acgateway/plugin-acudp';
import { fuzzDatagrams } from './fuzz.js';
import { replayDone, sourceStatus } from './helpers.js';

const REASONS: DecodeErrorReason[] = ['empty', 'unknown_id', 'truncated', 'string_overrun', 'unknown_collision_subtype'];

let t: TestHost | undefined;
let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
afterEach(async () => {
  await t?.stop();
  await tmp?.remove();
  t = undefined;
  tmp = undefined;
});

describe('fuzz through the whole plugin path', () => {
  it('100,000 random and mutated datagrams: nothing escapes, every bad one is counted, logs stay rate-limited', async () => {
    // A recording replayed flat out goes through the same path as the socket (decode, state,
    // publish, metrics, logs) without the loss UDP could add under load.
    const datagrams = [...fuzzDatagrams(100_000, 0x5eed)];
    const expected: Record<string, number> = {};
    let good = 0;
    let trailing = 0;
    for (const d of datagrams) {
      const r = decodeDatagram(d);
      if (r.ok) {
        good++;
        if (r.length < d.length) trailing++;
      } else expected[r.error.reason] = (expected[r.error.reason] ?? 0) + 1;
    }
    tmp = await tempDir('acudp-fuzz-');
    const file = path.join(tmp.dir, 'fuzz.acudp');
    await fs.writeFile(file, Buffer.concat([encodeFileHeader(Date.now()), ...datagrams.map((d, i) => encodeRecord(i * 0.01, Direction.ToPlugin, d))]));

    t = await createTestHost({ plugins: [acudp({ replay: { file, speed: 'max' }, batchCarUpdates: false })] });
    const host = t;
    await until('the fuzz replay to end', () => replayDone(host), 30_000);

    const counted: Record<string, number> = {};
    for (const reason of REASONS) {
      const n = await host.metric('acudp_decode_errors_total', { reason });
      if (n > 0) counted[reason] = n;
      expect(await host.metric('acgateway_bad_input_total', { plugin: 'acudp', kind: `datagram_${reason}` })).toBe(expected[reason] ?? 0);
    }
    expect(counted).toEqual(expected);
    // No decode error went uncounted under some other label.
    expect(sourceStatus(host).decodeErrors).toBe(100_000 - good);
    expect(await host.metric('acgateway_bad_input_total', { plugin: 'acudp', kind: 'datagram_trailing_bytes' })).toBe(trailing);
    expect(await host.metric('acudp_datagrams_total')).toBe(100_000);
    const events = host.messages.filter((m) => m.topic.startsWith('acudp/') && m.topic !== 'acudp/state' && m.topic !== 'acudp/replay');
    // Every good datagram was published, or was a car update replaced by a newer one of the same car in the same turn.
    expect(events.length + (await host.metric('acudp_conflated_total'))).toBe(good);
    const warnings = host.logs.filter((l) => l.level === 40 && String(l.msg).startsWith('acudp: '));
    // One line per reason per 5 s window, not one per bad datagram.
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.length).toBeLessThan(60);
    expect(host.host.state).toBe('running');
  }, 60_000);
});
