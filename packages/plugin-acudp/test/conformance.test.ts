import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeDatagram, splitCapture, toAcudpclient } from '@acgateway/plugin-acudp';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = path.resolve(repoRoot, '../shared/data/acudp');
const haveData = existsSync(path.join(dataDir, 'ac_out'));
if (!haveData) console.warn(`conformance tests skipped: the real captures are not at ${path.relative(process.cwd(), dataDir)} (../shared/data/acudp from the repository root)`);

function expected(file: string): Array<Record<string, unknown>> {
  return readFileSync(path.join(dataDir, file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The differences the captures' README documents, applied to our (correct) reading. */
function asAcudpclientReads(ours: Record<string, unknown>): Record<string, unknown> {
  const out = { ...ours };
  // acudpclient reads the signed int32 as unsigned.
  if (typeof out.elapsed_ms === 'number') out.elapsed_ms = out.elapsed_ms >>> 0;
  return out;
}

function compare(file: string, capture: string) {
  const data = readFileSync(path.join(dataDir, capture));
  const want = expected(file);
  const split = splitCapture(data);
  expect(split.error).toBeUndefined();
  expect(split.messages).toHaveLength(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const m = split.messages[i]!;
    const { _offset, _length, ...fields } = w;
    expect({ i, offset: m.offset, length: m.length }).toEqual({ i, offset: _offset, length: _length });
    // Each message is also decoded as the datagram it was: nothing may be left over.
    const alone = decodeDatagram(data.subarray(m.offset, m.offset + m.length));
    expect(alone.ok && alone.length).toBe(m.length);
    const got = asAcudpclientReads(toAcudpclient(m.event));
    expect(Object.keys(got)).toEqual(Object.keys(fields));
    expect(got).toEqual(fields);
  }
  return split;
}

describe.skipIf(!haveData)('conformance with acudpclient over the real captures', () => {
  it('ac_out: all 395 messages, field by field', () => {
    const split = compare('ac_out.expected.jsonl', 'ac_out');
    expect(split.messages).toHaveLength(395);
    const counts: Record<string, number> = {};
    for (const m of split.messages) counts[m.event.type] = (counts[m.event.type] ?? 0) + 1;
    expect(counts).toEqual({ lap_completed: 155, new_session: 92, client_event: 72, chat: 21, new_connection: 17, client_loaded: 17, connection_closed: 17, end_session: 4 });
  });

  it('ac_out: the cases the README points at', () => {
    const split = splitCapture(readFileSync(path.join(dataDir, 'ac_out')));
    const byOffset = new Map(split.messages.map((m) => [m.offset, m.event]));
    const chat = byOffset.get(36745);
    expect(chat?.type).toBe('chat');
    expect(chat?.type === 'chat' && chat.message).toContain('è');
    const sessions = split.messages.map((m) => m.event).filter((e) => e.type === 'new_session');
    const negative = sessions.filter((e) => e.type === 'new_session' && e.elapsedMs < 0);
    expect(negative).toHaveLength(46);
    expect(new Set(negative.map((e) => (e as { elapsedMs: number }).elapsedMs))).toEqual(new Set([-40000, -39999, -39995]));
    const laps = split.messages.map((m) => m.event).filter((e) => e.type === 'lap_completed');
    expect(laps.flatMap((e) => (e.type === 'lap_completed' ? e.leaderboard : [])).filter((x) => x.completed)).toHaveLength(14);
    expect(Math.max(...laps.map((e) => (e.type === 'lap_completed' ? e.cuts : 0)))).toBe(6);
    const kinds = split.messages.map((m) => m.event).filter((e) => e.type === 'client_event').map((e) => (e.type === 'client_event' ? e.kind : ''));
    expect(kinds.filter((k) => k === 'collision_with_env')).toHaveLength(52);
    expect(kinds.filter((k) => k === 'collision_with_car')).toHaveLength(20);
  });

  it('legacy_sample.bin: VERSION and a NEW_SESSION with an empty track config', () => {
    const split = compare('legacy_sample.expected.jsonl', 'legacy_sample.bin');
    expect(split.messages.map((m) => m.event.type)).toEqual(['version', 'new_session']);
  });
});
