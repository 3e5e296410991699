import type { DecodeError, DecodeErrorReason, DecodeResult, Vec3 } from './types.js';

/**
 * Thrown (as a plain object, no stack capture) by the reader when a message is malformed and caught
 * by `Reader.read`, which turns it into a result: callers never see an exception.
 */
export class DecodeFailure {
  constructor(readonly error: DecodeError) {}
}

const REPLACEMENT = 0xfffd;

/** A Buffer view of bytes (no copy). */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Little-endian cursor over one message. One instance is reused for every decode (decoding is
 * synchronous), so the hot path allocates nothing but the values it returns.
 */
export class Reader {
  buf: Buffer = Buffer.alloc(0);
  /** Offset of the message's id byte in `buf`. */
  start = 0;
  pos = 0;
  end = 0;
  id = 0;
  name = '';
  /** UTF-16 code units of the wide string being decoded; 255 code points need at most 510 units. */
  private readonly units = Buffer.alloc(255 * 2 * 2);

  reset(buf: Buffer, start: number, end: number, id: number, name: string): void {
    this.buf = buf;
    this.start = start;
    this.pos = start + 1;
    this.end = end;
    this.id = id;
    this.name = name;
  }

  /** Reads one message's layout from where `reset` put the reader; a malformed message becomes an error result. */
  read<T>(layout: (r: Reader) => T): DecodeResult<T> {
    try {
      const value = layout(this);
      return { ok: true, value, length: this.pos - this.start };
    } catch (err) {
      if (err instanceof DecodeFailure) return { ok: false, error: err.error };
      // A bug of ours, not bad input: still returned, never thrown into a socket loop.
      return { ok: false, error: { id: this.id, offset: this.pos - this.start, reason: 'truncated', message: `internal decoder error: ${String(err)}` } };
    }
  }

  fail(reason: DecodeErrorReason, message: string, at = this.pos): DecodeFailure {
    return new DecodeFailure({ id: this.id, offset: at - this.start, reason, message: `${this.name} (id ${this.id}): ${message}` });
  }

  need(n: number, field: string): void {
    if (this.pos + n > this.end) {
      throw this.fail('truncated', `field ${field} needs ${n} byte${n === 1 ? '' : 's'} at offset ${this.pos - this.start}, the message has ${this.end - this.pos} left`);
    }
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(field: string): number {
    if (this.pos >= this.end) this.need(1, field);
    return this.buf[this.pos++]!;
  }

  bool(field: string): boolean {
    return this.u8(field) !== 0;
  }

  u16(field: string): number {
    this.need(2, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return b[p]! | (b[p + 1]! << 8);
  }

  i16(field: string): number {
    const v = this.u16(field);
    return (v << 16) >> 16;
  }

  u32(field: string): number {
    this.need(4, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
  }

  i32(field: string): number {
    this.need(4, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
  }

  f32(field: string): number {
    this.need(4, field);
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  vec3(field: string): Vec3 {
    this.need(12, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 12;
    return { x: b.readFloatLE(p), y: b.readFloatLE(p + 4), z: b.readFloatLE(p + 8) };
  }

  /** Narrow string: u8 byte count, then bytes. Kunos writes ASCII, AssettoServer UTF-8: decoded as lenient UTF-8. */
  string(field: string): string {
    const at = this.pos;
    const n = this.u8(field);
    if (n === 0) return '';
    if (this.pos + n > this.end) {
      throw this.fail('string_overrun', `string ${field} claims ${n} bytes at offset ${at - this.start}, the message has ${this.end - this.pos} left`, at);
    }
    const p = this.pos;
    this.pos = p + n;
    return this.buf.toString('utf8', p, p + n);
  }

  /**
   * Wide string: u8 count of code points, then 4 bytes of UTF-32LE each. Code points that are not
   * Unicode scalar values (surrogates, above U+10FFFF) become U+FFFD rather than failing the message.
   */
  stringW(field: string): string {
    const at = this.pos;
    const n = this.u8(field);
    if (n === 0) return '';
    if (this.pos + n * 4 > this.end) {
      throw this.fail('string_overrun', `wide string ${field} claims ${n} characters (${n * 4} bytes) at offset ${at - this.start}, the message has ${this.end - this.pos} left`, at);
    }
    const b = this.buf;
    const out = this.units;
    let p = this.pos;
    let u = 0;
    for (let i = 0; i < n; i++, p += 4) {
      let cp = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
      if (cp < 0x10000) {
        if (cp >= 0xd800 && cp <= 0xdfff) cp = REPLACEMENT;
        out[u++] = cp & 0xff;
        out[u++] = cp >>> 8;
      } else if (cp <= 0x10ffff) {
        cp -= 0x10000;
        const hi = 0xd800 + (cp >>> 10);
        const lo = 0xdc00 + (cp & 0x3ff);
        out[u++] = hi & 0xff;
        out[u++] = hi >>> 8;
        out[u++] = lo & 0xff;
        out[u++] = lo >>> 8;
      } else {
        out[u++] = REPLACEMENT & 0xff;
        out[u++] = REPLACEMENT >>> 8;
      }
    }
    this.pos = p;
    return out.toString('utf16le', 0, u);
  }
}
