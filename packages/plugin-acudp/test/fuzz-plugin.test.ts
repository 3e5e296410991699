import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestHost, type TestHost } from '@acgateway/core/testing';
import { acudp, decodeDatagram, Direction, encodeFileHeader, encodeRecord } from '@acgateway/plugin-acudp';
import { fuzzDatagrams } from './fuzz.js';
import { until } from './helpers.js';

let t: TestHost | undefined;
let tmp: string | undefined;
afterEach(async () => {
  await t?.stop();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  t = undefined;
  tmp = undefined;
});

async function metricValues(host: TestHost, name: string) {
  const m = (await host.host.metrics.registry.getSingleMetric(name)?.get()) as { values: Array<{ value: number; labels: Record<string, string> }> };
  return m.values;
}

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
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'acudp-fuzz-'));
    const file = path.join(tmp, 'fuzz.acudp');
    await fs.writeFile(file, Buffer.concat([encodeFileHeader(Date.now()), ...datagrams.map((d, i) => encodeRecord(i * 0.01, Direction.ToPlugin, d))]));

    t = await createTestHost({ plugins: [acudp({ replay: { file, speed: 'max' }, batchCarUpdates: false })] });
    await until(() => (t!.host.bus.last<{ done: boolean }>('acudp/replay')?.data.done ?? false), 30_000, 'the fuzz replay to end');

    const decodeErrors = await metricValues(t, 'acudp_decode_errors_total');
    const counted = Object.fromEntries(decodeErrors.map((v) => [v.labels.reason!, v.value]));
    expect(counted).toEqual(expected);
    const badInput = await metricValues(t, 'acgateway_bad_input_total');
    for (const [reason, n] of Object.entries(expected)) {
      expect(badInput.find((v) => v.labels.plugin === 'acudp' && v.labels.kind === `datagram_${reason}`)?.value).toBe(n);
    }
    expect(badInput.find((v) => v.labels.kind === 'datagram_trailing_bytes')?.value ?? 0).toBe(trailing);
    expect((await metricValues(t, 'acudp_datagrams_total'))[0]!.value).toBe(100_000);
    const events = t.messages.filter((m) => m.topic.startsWith('acudp/') && m.topic !== 'acudp/state' && m.topic !== 'acudp/replay');
    expect(events).toHaveLength(good);
    const warnings = t.logs.filter((l) => l.level === 40 && String(l.msg).startsWith('acudp: '));
    // One line per reason per 5 s window, not one per bad datagram.
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.length).toBeLessThan(60);
    expect(t.host.state).toBe('running');
  }, 60_000);
});
