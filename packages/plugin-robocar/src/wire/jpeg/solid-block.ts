import { headerSegments } from './info.js';

/**
 * The entropy-coded bytes of one solid-colour 8x8 MCU (4:4:4, predictors reset: the MCU follows a
 * restart marker), computed from the quantization and Huffman tables of a header jpeg-js wrote.
 * A solid block has a DC coefficient and no AC ones, so each component is one DC difference (its
 * category's Huffman code and its bits) and an end-of-block code: no DCT, no encoder to build.
 * jpeg-js builds ~50 ms of tables on every encode call; this takes microseconds. The colour
 * conversion and the DC quantization are jpeg-js's own arithmetic, so the bytes are the same as
 * its (checked in the tests).
 */
export class SolidBlockEncoder {
  /** DC quantizer per table id. */
  private readonly dcQuant = new Map<number, number>();
  /** Huffman codes per table: `dc0`, `ac1` ... -> symbol -> [code, length]. */
  private readonly huffman = new Map<string, Map<number, [number, number]>>();

  /** `header`: SOI up to SOS, as jpeg-js writes it (Y on tables 0, Cb and Cr on tables 1). */
  constructor(header: Buffer) {
    for (const { marker, at, end } of headerSegments(header)) {
      if (marker === 0xdb) this.readQuant(header, at + 4, end);
      if (marker === 0xc4) this.readHuffman(header, at + 4, end);
    }
    for (const t of ['dc0', 'ac0', 'dc1', 'ac1']) if (!this.huffman.has(t)) throw new Error(`the JPEG header has no ${t.toUpperCase()} Huffman table`);
    if (!this.dcQuant.has(0) || !this.dcQuant.has(1)) throw new Error('the JPEG header has no quantization tables 0 and 1');
  }

  /** The MCU's bytes for colour 0xRRGGBB, padded with 1-bits to a byte, 0xFF stuffed. */
  encode(rgb: number): Buffer {
    const r = (rgb >> 16) & 0xff;
    const g = (rgb >> 8) & 0xff;
    const b = rgb & 0xff;
    // jpeg-js's fixed-point RGB -> YCbCr (its RGB_YUV_TABLE), level-shifted by 128.
    const y = ((19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16) - 128;
    const cb = ((-11059 * r - 21709 * g + 32768 * b + 0x807fff) >> 16) - 128;
    const cr = ((32768 * r - 27439 * g - 5329 * b + 0x807fff) >> 16) - 128;
    const bits = new BitWriter();
    this.component(bits, y, 0);
    this.component(bits, cb, 1);
    this.component(bits, cr, 1);
    return bits.finish();
  }

  private component(bits: BitWriter, level: number, table: number): void {
    // The DCT of a constant block is 64x the level at DC and 0 elsewhere; quantized as jpeg-js does.
    const x = 64 * level * (1 / (this.dcQuant.get(table)! * 8));
    const dc = x > 0 ? (x + 0.5) | 0 : (x - 0.5) | 0;
    const size = dc === 0 ? 0 : 32 - Math.clz32(Math.abs(dc));
    bits.write(...this.code(`dc${table}`, size));
    if (size > 0) bits.write(dc > 0 ? dc : dc + (1 << size) - 1, size);
    bits.write(...this.code(`ac${table}`, 0x00)); // end of block
  }

  private code(table: string, symbol: number): [number, number] {
    const c = this.huffman.get(table)!.get(symbol);
    if (!c) throw new Error(`the JPEG header's ${table.toUpperCase()} Huffman table has no code for 0x${symbol.toString(16)}`);
    return c;
  }

  private readQuant(buf: Buffer, at: number, end: number): void {
    while (at < end) {
      const precision = buf[at]! >> 4;
      this.dcQuant.set(buf[at]! & 0x0f, precision ? buf.readUInt16BE(at + 1) : buf[at + 1]!);
      at += 1 + 64 * (precision ? 2 : 1);
    }
  }

  private readHuffman(buf: Buffer, at: number, end: number): void {
    while (at < end) {
      const name = `${buf[at]! >> 4 ? 'ac' : 'dc'}${buf[at]! & 0x0f}`;
      const counts = buf.subarray(at + 1, at + 17);
      let symbol = at + 17;
      // Canonical codes: in order of length, each the previous plus one, shifted left per length.
      const codes = new Map<number, [number, number]>();
      let code = 0;
      for (let len = 1; len <= 16; len++) {
        for (let k = 0; k < counts[len - 1]!; k++) codes.set(buf[symbol++]!, [code++, len]);
        code <<= 1;
      }
      this.huffman.set(name, codes);
      at = symbol;
    }
  }
}

/** Bits MSB first into bytes, with JPEG's 0x00 after every 0xFF. */
class BitWriter {
  private readonly out: number[] = [];
  private acc = 0;
  private n = 0;

  write(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.n === 8) this.flush();
    }
  }

  finish(): Buffer {
    if (this.n > 0) this.write(0xff, 8 - this.n);
    return Buffer.from(this.out);
  }

  private flush(): void {
    this.out.push(this.acc);
    if (this.acc === 0xff) this.out.push(0x00);
    this.acc = 0;
    this.n = 0;
  }
}
