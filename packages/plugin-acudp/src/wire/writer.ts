import { MAX_STRING_CHARS } from './ids.js';
import type { Vec3 } from './types.js';

/** A value that cannot be put on the wire (a car id out of range, a text too long ...). */
export class AcspEncodeError extends RangeError {
  readonly code = 'BAD_VALUE';
  constructor(message: string) {
    super(message);
    this.name = 'AcspEncodeError';
  }
}

/** Code points of a string, as the wide-string length counts them (an astral character is one). */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/**
 * Little-endian writer into a scratch buffer large enough for any ACSP message (the largest, a
 * CAR_INFO with five 255-character wide strings, is about 5 KB); `finish()` copies the bytes out.
 */
export class Writer {
  private buf = Buffer.alloc(16 * 1024);
  private pos = 0;

  /** The shared writer, reset, with the id written. Encoding is synchronous, so one scratch serves all. */
  static start(id: number): Writer {
    const w = shared;
    w.pos = 0;
    w.u8(id, 'id');
    return w;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  private int(v: number, min: number, max: number, field: string): void {
    if (!Number.isInteger(v) || v < min || v > max) throw new AcspEncodeError(`${field} must be an integer from ${min} to ${max}, got ${v}`);
  }

  u8(v: number, field: string): this {
    this.int(v, 0, 0xff, field);
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  bool(v: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }

  u16(v: number, field: string): this {
    this.int(v, 0, 0xffff, field);
    this.ensure(2);
    this.pos = this.buf.writeUInt16LE(v, this.pos);
    return this;
  }

  i16(v: number, field: string): this {
    this.int(v, -0x8000, 0x7fff, field);
    this.ensure(2);
    this.pos = this.buf.writeInt16LE(v, this.pos);
    return this;
  }

  u32(v: number, field: string): this {
    this.int(v, 0, 0xffffffff, field);
    this.ensure(4);
    this.pos = this.buf.writeUInt32LE(v, this.pos);
    return this;
  }

  i32(v: number, field: string): this {
    this.int(v, -0x80000000, 0x7fffffff, field);
    this.ensure(4);
    this.pos = this.buf.writeInt32LE(v, this.pos);
    return this;
  }

  f32(v: number, field: string): this {
    if (typeof v !== 'number') throw new AcspEncodeError(`${field} must be a number, got ${typeof v}`);
    this.ensure(4);
    this.pos = this.buf.writeFloatLE(v, this.pos);
    return this;
  }

  vec3(v: Vec3, field: string): this {
    if (!v || typeof v !== 'object') throw new AcspEncodeError(`${field} must be {x, y, z}`);
    return this.f32(v.x, `${field}.x`).f32(v.y, `${field}.y`).f32(v.z, `${field}.z`);
  }

  /** Narrow string: UTF-8 bytes, at most 255. */
  string(s: string, field: string): this {
    if (typeof s !== 'string') throw new AcspEncodeError(`${field} must be a string, got ${typeof s}`);
    const n = Buffer.byteLength(s, 'utf8');
    if (n > 255) throw new AcspEncodeError(`${field} is ${n} bytes in UTF-8; a narrow string holds at most 255`);
    this.ensure(1 + n);
    this.buf[this.pos++] = n;
    this.pos += this.buf.write(s, this.pos, 'utf8');
    return this;
  }

  /**
   * Wide string: count of code points, then UTF-32LE with no BOM (acudpclient's Python codec adds
   * one and loses the last character). Lone surrogates go out as U+FFFD.
   */
  stringW(s: string, field: string): this {
    if (typeof s !== 'string') throw new AcspEncodeError(`${field} must be a string, got ${typeof s}`);
    const n = codePointLength(s);
    if (n > MAX_STRING_CHARS) throw new AcspEncodeError(`${field} is ${n} characters; the protocol allows at most ${MAX_STRING_CHARS}`);
    this.ensure(1 + 4 * n);
    this.buf[this.pos++] = n;
    for (let i = 0; i < s.length; i++) {
      let cp = s.charCodeAt(i);
      if (cp >= 0xd800 && cp <= 0xdfff) {
        const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
          i++;
        } else {
          cp = 0xfffd;
        }
      }
      this.pos = this.buf.writeUInt32LE(cp, this.pos);
    }
    return this;
  }

  /** Raw bytes (tests of malformed input build on this). */
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

const shared = new Writer();
