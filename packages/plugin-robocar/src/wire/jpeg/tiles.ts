import jpeg from 'jpeg-js';
import { headerSegments } from './info.js';
import { SolidBlockEncoder } from './solid-block.js';

/**
 * Builds real baseline JPEGs out of solid-colour 8x8 tiles without encoding pixels per frame.
 *
 * Each tile colour is encoded once and its entropy-coded bytes are kept. A frame then sets a
 * restart interval of one MCU (DRI = 1): every MCU starts byte-aligned with its DC predictors
 * reset, so the frame is the tiles' bytes joined by RST markers. jpeg-js writes 4:4:4 with standard
 * tables for a given quality, so every tile shares one set of headers. jpeg-js builds ~50 ms of
 * tables on every encode call, so it encodes the first tile only (for the headers); the others come
 * from those headers' tables (SolidBlockEncoder: a solid block is a DC value per component), each
 * checked by decoding it back with jpeg-js, and through jpeg-js if that check ever failed.
 */
export class TileJpegEncoder {
  private readonly tiles = new Map<number, Buffer>();
  /** SOI up to (not including) SOS, from the first tile encode; SOF is patched per frame. */
  private headerSegments: Buffer | undefined;
  private sosSegment: Buffer | undefined;
  private sofOffset = -1;
  private solid: SolidBlockEncoder | undefined;

  /** `options.viaJpegJs`: every tile through jpeg-js (slow; to check the fast path against it). */
  constructor(
    readonly quality = 85,
    private readonly options: { viaJpegJs?: boolean } = {},
  ) {}

  /** Encoded bytes of one solid 8x8 tile (colour 0xRRGGBB), cached. */
  tile(rgb: number): Buffer {
    let t = this.tiles.get(rgb);
    if (!t) {
      t = this.encodeTile(rgb);
      this.tiles.set(rgb, t);
    }
    return t;
  }

  get cachedTiles(): number {
    return this.tiles.size;
  }

  private encodeTile(rgb: number): Buffer {
    if (this.headerSegments && !this.options.viaJpegJs) {
      this.solid ??= new SolidBlockEncoder(this.headerSegments);
      const entropy = this.solid.encode(rgb);
      if (this.decodesAs(entropy, rgb)) return entropy;
    }
    const entropy = this.encodeTileEntropy(rgb);
    // jpeg-js pads a byte-aligned scan with a whole FF (stuffed as FF00). Before a restart marker
    // a decoder expects the marker right after the MCU's last bit, so that byte must go; whether
    // the final FF is padding or data is settled by decoding two such tiles side by side.
    if (entropy.length >= 2 && entropy[entropy.length - 2] === 0xff && entropy[entropy.length - 1] === 0x00) {
      const stripped = entropy.subarray(0, entropy.length - 2);
      if (this.decodesAs(stripped, rgb)) return Buffer.from(stripped);
    }
    if (!this.decodesAs(entropy, rgb)) throw new Error(`tile 0x${rgb.toString(16)} does not decode back`);
    return entropy;
  }

  private decodesAs(entropy: Buffer, rgb: number): boolean {
    this.tiles.set(rgb, entropy);
    try {
      const img = jpeg.decode(this.encode(16, 8, () => rgb), { useTArray: true });
      const px = (x: number) => [img.data[x * 4]!, img.data[x * 4 + 1]!, img.data[x * 4 + 2]!];
      const want = [(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff];
      return [px(0), px(15)].every((p) => p.every((v, i) => Math.abs(v - want[i]!) <= 8));
    } catch {
      return false;
    } finally {
      this.tiles.delete(rgb);
    }
  }

  private encodeTileEntropy(rgb: number): Buffer {
    const data = Buffer.alloc(8 * 8 * 4);
    for (let i = 0; i < 64; i++) {
      data[i * 4] = (rgb >> 16) & 0xff;
      data[i * 4 + 1] = (rgb >> 8) & 0xff;
      data[i * 4 + 2] = rgb & 0xff;
      data[i * 4 + 3] = 0xff;
    }
    const out = jpeg.encode({ data, width: 8, height: 8 }, this.quality).data;
    // Walk the header to the scan; everything after the SOS header up to EOI is this tile's MCU.
    for (const { marker, at, end } of headerSegments(out)) {
      if (marker !== 0xda) continue;
      if (!this.headerSegments) {
        this.headerSegments = Buffer.from(out.subarray(0, at));
        this.sosSegment = Buffer.from(out.subarray(at, end));
        this.sofOffset = findSof(this.headerSegments);
      }
      const eoi = out.length - 2; // jpeg-js ends with EOI right after the scan
      if (out[eoi] !== 0xff || out[eoi + 1] !== 0xd9) throw new Error('jpeg-js output does not end with EOI');
      return Buffer.from(out.subarray(end, eoi));
    }
    throw new Error('jpeg-js output has no scan (FFDA)');
  }

  /** A JPEG of width x height whose 8x8 block (col,row) has colour tileAt(col,row). */
  encode(width: number, height: number, tileAt: (col: number, row: number) => number): Buffer {
    const cols = Math.ceil(width / 8);
    const rows = Math.ceil(height / 8);
    const n = cols * rows;
    const parts: Buffer[] = new Array(n);
    let size = 0;
    for (let r = 0, k = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++, k++) {
        const t = this.tile(tileAt(c, r));
        parts[k] = t;
        size += t.length;
      }
    }
    const header = this.headerSegments!;
    const sos = this.sosSegment!;
    const out = Buffer.allocUnsafe(header.length + DRI.length + sos.length + size + 2 * (n - 1) + 2);
    let o = header.copy(out, 0);
    out.writeUInt16BE(height, this.sofOffset + 5);
    out.writeUInt16BE(width, this.sofOffset + 7);
    o += DRI.copy(out, o);
    o += sos.copy(out, o);
    for (let k = 0; k < n; k++) {
      o += parts[k]!.copy(out, o);
      if (k < n - 1) {
        out[o++] = 0xff;
        out[o++] = 0xd0 + (k & 7);
      }
    }
    out[o++] = 0xff;
    out[o++] = 0xd9;
    return out;
  }
}

/** Restart interval of one MCU. */
const DRI = Buffer.from([0xff, 0xdd, 0x00, 0x04, 0x00, 0x01]);

function findSof(header: Buffer): number {
  for (const { marker, at } of headerSegments(header)) if (marker === 0xc0) return at;
  throw new Error('jpeg-js output has no baseline frame header (FFC0)');
}
