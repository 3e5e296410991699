import { describe, expect, it } from 'vitest';
import {
  AcspEncodeError,
  decodeCommand,
  decodeDatagram,
  decodeMessageAt,
  encodeCommand,
  encodeEvent,
  splitCapture,
  type AcspEvent,
  type DecodeError,
  type EventOf,
} from '@acgateway/plugin-acudp';
import { NAMES, SAMPLE_COMMANDS, SAMPLE_EVENTS } from './samples.js';
import { seededRandom } from '../src/fake/random.js';
import { fuzzDatagrams } from './fuzz.js';

const REASONS = new Set(['empty', 'unknown_id', 'truncated', 'string_overrun', 'unknown_collision_subtype']);

function decodeOk(buf: Buffer): AcspEvent {
  const r = decodeDatagram(buf);
  if (!r.ok) throw new Error(r.error.message);
  expect(r.length).toBe(buf.length);
  return r.value;
}

function decodeErr(buf: Uint8Array): DecodeError {
  const r = decodeDatagram(buf);
  if (r.ok) throw new Error(`expected a decode error, got ${r.value.type}`);
  return r.error;
}

describe('round trip of every message type', () => {
  for (const event of SAMPLE_EVENTS) {
    it(`${event.type}${event.type === 'client_event' ? ` ${event.kind}` : ''}`, () => {
      expect(decodeOk(encodeEvent(event))).toEqual(event);
    });
  }

  for (const cmd of SAMPLE_COMMANDS) {
    it(`command ${cmd.type}`, () => {
      const buf = encodeCommand(cmd);
      const r = decodeCommand(buf);
      expect(r.ok && r.value).toEqual(cmd);
      expect(r.ok && r.length).toBe(buf.length);
    });
  }

  it('a concatenation of every message splits back by parsing', () => {
    const all = Buffer.concat(SAMPLE_EVENTS.map((e) => encodeEvent(e)));
    const split = splitCapture(all);
    expect(split.error).toBeUndefined();
    expect(split.messages.map((m) => m.event)).toEqual(SAMPLE_EVENTS);
  });
});

describe('wire facts', () => {
  const sample = <T extends AcspEvent['type']>(type: T) => SAMPLE_EVENTS.find((e) => e.type === type) as EventOf<T>;

  it('wide strings are UTF-32LE with no BOM and a length in code points', () => {
    const buf = encodeEvent({ type: 'server_error', message: 'a🏎é' });
    expect([...buf]).toEqual([60, 3, 0x61, 0, 0, 0, 0xce, 0xf3, 0x01, 0, 0xe9, 0, 0, 0]);
    expect(decodeOk(buf)).toEqual({ type: 'server_error', message: 'a🏎é' });
  });

  it('255 astral characters fit a wide string, 256 do not', () => {
    const max = '𝔘'.repeat(255);
    expect(decodeOk(encodeEvent({ type: 'chat', carId: 0, message: max }))).toEqual({ type: 'chat', carId: 0, message: max });
    expect(() => encodeEvent({ type: 'chat', carId: 0, message: max + 'x' })).toThrow(/256 characters.*at most 255/);
  });

  it('fixed sizes: CAR_UPDATE 33, collisions 32 and 31, LAP_COMPLETED 12 + 8 per entry', () => {
    expect(encodeEvent(sample('car_update'))).toHaveLength(33);
    const [withCar, withEnv] = SAMPLE_EVENTS.filter((e) => e.type === 'client_event');
    expect(encodeEvent(withCar!)).toHaveLength(32);
    expect(encodeEvent(withEnv!)).toHaveLength(31);
    const lap = sample('lap_completed');
    expect(encodeEvent(lap)).toHaveLength(12 + 8 * lap.leaderboard.length);
  });

  it('elapsed_ms is a signed int32', () => {
    const buf = encodeEvent(sample('new_session'));
    expect([...buf.subarray(-4)]).toEqual([0xc0, 0x63, 0xff, 0xff]);
    expect((decodeOk(buf) as { elapsedMs: number }).elapsedMs).toBe(-40000);
  });

  it('GET_SESSION_INFO carries an int16 (-1 = current); the id alone also means current', () => {
    expect([...encodeCommand({ type: 'get_session_info', sessionIndex: -1 })]).toEqual([204, 0xff, 0xff]);
    expect(decodeCommand(Buffer.from([204]))).toMatchObject({ ok: true, value: { type: 'get_session_info', sessionIndex: -1 } });
  });

  it('AssettoServer string variants (wide weather, narrow results file) decode from a datagram', () => {
    const session = sample('new_session');
    expect(decodeOk(encodeEvent(session, { assettoServerStrings: true }))).toEqual(session);
    const end = { type: 'end_session' as const, resultsFile: 'results/x.json' };
    expect(decodeOk(encodeEvent(end, { assettoServerStrings: true }))).toEqual(end);
  });

  it('narrow strings are decoded as UTF-8, leniently', () => {
    const buf = encodeEvent({ ...sample('new_connection'), carModel: 'voiture_é' });
    expect((decodeOk(buf) as { carModel: string }).carModel).toBe('voiture_é');
    const bad = Buffer.from(buf);
    const at = bad.indexOf(Buffer.from('voiture'));
    bad[at] = 0xff;
    expect((decodeOk(bad) as { carModel: string }).carModel).toBe('\ufffdoiture_é');
  });

  it('code points that are not Unicode scalar values become U+FFFD', () => {
    const buf = Buffer.from([60, 2, 0x00, 0xd8, 0, 0, 0x00, 0x00, 0x11, 0x00]);
    expect(decodeOk(buf)).toEqual({ type: 'server_error', message: '\ufffd\ufffd' });
  });
});

describe('bad input yields a typed error, never an exception', () => {
  it('empty datagram', () => {
    expect(decodeErr(Buffer.alloc(0))).toMatchObject({ id: -1, offset: 0, reason: 'empty' });
  });

  it('unknown ids', () => {
    for (const id of [0, 1, 49, 61, 72, 74, 129, 131, 150, 200, 255]) {
      const e = decodeErr(Buffer.from([id, 1, 2, 3]));
      expect(e).toMatchObject({ id, offset: 0, reason: 'unknown_id' });
      expect(e.message).toContain(`unknown message id ${id}`);
    }
  });

  it('unknown collision subtype', () => {
    const buf = encodeEvent(SAMPLE_EVENTS.find((e) => e.type === 'client_event')!);
    buf[1] = 12;
    expect(decodeErr(buf)).toMatchObject({ id: 130, offset: 1, reason: 'unknown_collision_subtype' });
  });

  it('a string length past the end', () => {
    const e = decodeErr(Buffer.from([57, 3, 10, 0x61, 0, 0, 0]));
    expect(e).toMatchObject({ id: 57, offset: 2, reason: 'string_overrun' });
    expect(e.message).toMatch(/CHAT.*message claims 10 characters \(40 bytes\) at offset 2, the message has 4 left/);
    expect(decodeErr(Buffer.from([51, 0, 0, 3, 200, 0x61]))).toMatchObject({ id: 51, offset: 4, reason: 'string_overrun' });
  });

  it('every truncation of every message type', () => {
    for (const event of SAMPLE_EVENTS) {
      const buf = encodeEvent(event);
      for (let n = 1; n < buf.length; n++) {
        const e = decodeErr(buf.subarray(0, n));
        expect(e.id).toBe(buf[0]);
        expect(['truncated', 'string_overrun']).toContain(e.reason);
        expect(e.offset).toBeGreaterThanOrEqual(0);
        expect(e.offset).toBeLessThanOrEqual(n);
      }
    }
  });

  it('a truncated leaderboard names the entry count', () => {
    const lap = encodeEvent(SAMPLE_EVENTS.find((e) => e.type === 'lap_completed')!);
    lap[7] = 24;
    expect(decodeErr(lap)).toMatchObject({ id: 73, offset: 7, reason: 'truncated' });
    expect(decodeErr(lap).message).toMatch(/leaderboard of 24 entries needs 192 bytes/);
  });

  it('bad commands decode to errors too', () => {
    expect(decodeCommand(Buffer.alloc(0))).toMatchObject({ ok: false, error: { reason: 'empty' } });
    expect(decodeCommand(Buffer.from([199]))).toMatchObject({ ok: false, error: { reason: 'unknown_id', id: 199 } });
    expect(decodeCommand(Buffer.from([202, 1, 5, 0]))).toMatchObject({ ok: false, error: { reason: 'string_overrun', id: 202 } });
    expect(decodeCommand(Buffer.from([200, 1]))).toMatchObject({ ok: false, error: { reason: 'truncated', id: 200 } });
  });
});

describe('commands are refused before encoding', () => {
  const refused = (cmd: unknown, pattern: RegExp) => {
    expect(() => encodeCommand(cmd as never)).toThrow(AcspEncodeError);
    expect(() => encodeCommand(cmd as never)).toThrow(pattern);
  };
  it('car ids outside 0..254', () => {
    for (const carId of [-1, 255, 256, 1.5, Number.NaN]) refused({ type: 'kick_user', carId }, /carId must be an integer from 0 to 254/);
    refused({ type: 'send_chat', carId: 300, message: 'hi' }, /carId/);
    refused({ type: 'get_car_info', carId: 255 }, /carId/);
  });
  it('texts over 255 code points', () => {
    refused({ type: 'broadcast_chat', message: 'x'.repeat(256) }, /message is 256 characters; the protocol allows at most 255/);
    refused({ type: 'admin_command', command: '🏎'.repeat(256) }, /command is 256 characters/);
    // 255 astral characters are 510 UTF-16 units but only 255 code points: allowed.
    expect(encodeCommand({ type: 'broadcast_chat', message: '🏎'.repeat(255) })).toHaveLength(2 + 4 * 255);
  });
  it('intervals and session indexes out of range', () => {
    refused({ type: 'realtimepos_interval', intervalMs: 70000 }, /intervalMs must be an integer from 0 to 65535/);
    refused({ type: 'get_session_info', sessionIndex: -2 }, /sessionIndex/);
    refused({ type: 'set_session_info', sessionIndex: 1, name: NAMES.driver, sessionType: 3, laps: -1, timeS: 0, waitTimeS: 0 }, /laps/);
  });
});

describe('fuzz', () => {
  it('110,000 random and mutated datagrams: every one decodes or yields a well-formed error', () => {
    let bad = 0;
    let good = 0;
    for (const buf of fuzzDatagrams(110_000, 0xacd9)) {
      let r;
      try {
        r = decodeDatagram(buf);
      } catch (err) {
        throw new Error(`decodeDatagram threw on ${buf.toString('hex')}: ${String(err)}`);
      }
      if (r.ok) {
        good++;
        expect(r.length).toBeLessThanOrEqual(buf.length);
      } else {
        bad++;
        const e = r.error;
        if (!REASONS.has(e.reason) || e.offset < 0 || e.offset > buf.length || e.id !== (buf.length ? buf[0] : -1) || !e.message) {
          throw new Error(`malformed error ${JSON.stringify(e)} for ${buf.toString('hex')}`);
        }
      }
    }
    expect(good + bad).toBe(110_000);
    // Both outcomes were exercised.
    expect(bad).toBeGreaterThan(50_000);
    expect(good).toBeGreaterThan(5_000);
  });

  it('random commands never throw out of decodeCommand', () => {
    const rnd = seededRandom(7);
    for (let i = 0; i < 20_000; i++) {
      const buf = Buffer.alloc(Math.floor(rnd() * 40));
      for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rnd() * 256);
      if (buf.length) buf[0] = 200 + Math.floor(rnd() * 10);
      const r = decodeCommand(buf);
      if (!r.ok) expect(REASONS.has(r.error.reason)).toBe(true);
    }
  });

  it('decodeMessageAt reports offsets inside a larger buffer relative to the message', () => {
    const a = encodeEvent(SAMPLE_EVENTS[0]!);
    const broken = Buffer.from([57, 1, 9]);
    const all = Buffer.concat([a, broken]);
    expect(decodeMessageAt(all, a.length)).toMatchObject({ ok: false, error: { id: 57, offset: 2, reason: 'string_overrun' } });
    const split = splitCapture(all);
    expect(split.messages).toHaveLength(1);
    expect(split.error).toMatchObject({ at: a.length + 2, reason: 'string_overrun' });
  });
});
