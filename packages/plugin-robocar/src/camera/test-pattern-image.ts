import { TileJpegEncoder } from '../wire/jpeg/tiles.js';

/**
 * The test pattern's picture: colour bars, a dark block that moves one 8-pixel tile per frame and a
 * clock (HH:MM:SS.t, local time) drawn in a 3x5 tile font. Every 8x8 block is one colour so
 * frames come from prerendered tiles (see TileJpegEncoder): ~0.1 ms per 320x180 frame.
 */

const FONT: Record<string, readonly string[]> = {
  '0': ['###', '#.#', '#.#', '#.#', '###'],
  '1': ['.#.', '##.', '.#.', '.#.', '###'],
  '2': ['###', '..#', '###', '#..', '###'],
  '3': ['###', '..#', '.##', '..#', '###'],
  '4': ['#.#', '#.#', '###', '..#', '..#'],
  '5': ['###', '#..', '###', '..#', '###'],
  '6': ['###', '#..', '###', '#.#', '###'],
  '7': ['###', '..#', '.#.', '.#.', '.#.'],
  '8': ['###', '#.#', '###', '#.#', '###'],
  '9': ['###', '#.#', '###', '..#', '###'],
  ':': ['.', '#', '.', '#', '.'],
  '.': ['.', '.', '.', '.', '#'],
};

/** 75% colour bars, as on a broadcast test card. */
const BARS = [0xc0c0c0, 0xc0c000, 0x00c0c0, 0x00c000, 0xc000c0, 0xc00000, 0x0000c0];
const BLOCK = 0x101010;
const BACKGROUND = 0x202020;
const INK = 0xf0f0f0;

export interface TestPatternImageOptions {
  width: number;
  height: number;
  quality?: number;
}

function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += FONT[ch]![0]!.length + 1;
  return w - 1;
}

function clockText(d: Date, cols: number, scaleRows: number): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const full = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${Math.floor(d.getMilliseconds() / 100)}`;
  if (scaleRows < 5) return '';
  for (const t of [full, full.slice(0, 8), full.slice(3, 8)]) if (textWidth(t) <= cols) return t;
  return '';
}

export class TestPatternImage {
  readonly width: number;
  readonly height: number;
  private readonly cols: number;
  private readonly rows: number;
  private readonly barRows: number;
  private readonly encoder: TileJpegEncoder;
  /** Tile colours of the frame being built, reused between frames. */
  private readonly grid: Int32Array;

  constructor(options: TestPatternImageOptions) {
    this.width = options.width;
    this.height = options.height;
    this.cols = Math.ceil(this.width / 8);
    this.rows = Math.ceil(this.height / 8);
    this.barRows = Math.max(1, Math.floor(this.rows * 0.6));
    this.encoder = new TileJpegEncoder(options.quality ?? 85);
    this.grid = new Int32Array(this.cols * this.rows);
  }

  /** Every colour the pattern uses: encoded before the first frame, so no frame pays for a tile encode. */
  static readonly COLOURS: readonly number[] = [...BARS, BLOCK, BACKGROUND, INK];

  /** Encodes one of the pattern's tile colours (the first costs ~50 ms in jpeg-js; a camera spreads them over event-loop turns). */
  warm(colour: number): void {
    this.encoder.tile(colour);
  }

  /** The JPEG of frame number `seq` showing the time `at` (ms since epoch). */
  render(seq: number, at: number): Buffer {
    const { cols, rows, grid, barRows } = this;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) grid[r * cols + c] = r < barRows ? BARS[Math.floor((c * BARS.length) / cols)]! : BACKGROUND;
    }
    // The moving block, about a twelfth of the width, across the middle of the bars, wrapping around.
    const bw = Math.max(3, Math.round(cols / 12));
    const bh = Math.max(2, Math.round(barRows / 5));
    const blockRow = Math.max(0, Math.floor((barRows - bh) / 2));
    const x0 = seq % cols;
    for (let r = blockRow; r < Math.min(barRows, blockRow + bh); r++) {
      for (let dx = 0; dx < bw; dx++) grid[r * cols + ((x0 + dx) % cols)] = BLOCK;
    }
    const freeRows = rows - barRows;
    const scale = Math.max(1, Math.min(Math.floor((freeRows - 2) / 5), Math.floor(cols / textWidth('00:00:00.0'))));
    const text = clockText(new Date(at), Math.floor(cols / scale), freeRows - 2 >= 5 ? 5 : 0);
    if (text) {
      let x = Math.floor((cols - textWidth(text) * scale) / 2);
      const y = barRows + Math.floor((freeRows - 5 * scale) / 2);
      for (const ch of text) {
        const glyph = FONT[ch]!;
        for (let gy = 0; gy < 5; gy++) {
          const line = glyph[gy]!;
          for (let gx = 0; gx < line.length; gx++) {
            if (line[gx] !== '#') continue;
            for (let sy = 0; sy < scale; sy++) for (let sx = 0; sx < scale; sx++) grid[(y + gy * scale + sy) * cols + x + gx * scale + sx] = INK;
          }
        }
        x += (glyph[0]!.length + 1) * scale;
      }
    }
    return this.encoder.encode(this.width, this.height, (c, r) => grid[r * cols + c]!);
  }
}
