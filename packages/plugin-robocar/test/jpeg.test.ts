import { describe, expect, it, vi } from 'vitest';
import jpeg from 'jpeg-js';
import { JpegError, JpegSplitter, readJpegInfo, TestPatternCamera, TileJpegEncoder } from '@acgateway/plugin-robocar';
import { makeJpeg } from './helpers.js';

/** An APP1 segment holding a tiny JPEG (its own FFD8..FFD9), as an EXIF thumbnail does. */
function withThumbnail(file: Buffer): Buffer {
  const thumb = makeJpeg(8, 8, 1);
  const body = Buffer.concat([Buffer.from('Exif\0\0'), thumb]);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([file.subarray(0, 2), app1, body, file.subarray(2)]);
}

function split(stream: Buffer, chunk: number) {
  const frames: Buffer[] = [];
  const garbage: string[] = [];
  const s = new JpegSplitter({ onFrame: (f) => frames.push(f), onGarbage: (n, why) => garbage.push(`${n} ${why}`), maxFrameBytes: 1 << 20 });
  for (let i = 0; i < stream.length; i += chunk) s.push(stream.subarray(i, i + chunk));
  return { frames, garbage, splitter: s };
}

describe('readJpegInfo', () => {
  it('reads width and height from the frame header', () => {
    expect(readJpegInfo(makeJpeg(123, 45))).toEqual({ width: 123, height: 45, components: 3, progressive: false });
    expect(readJpegInfo(withThumbnail(makeJpeg(640, 480)))).toMatchObject({ width: 640, height: 480 });
    // Padding after EOI, as some cameras send.
    expect(readJpegInfo(Buffer.concat([makeJpeg(20, 10), Buffer.from('\r\n\0\0')]))).toMatchObject({ width: 20, height: 10 });
  });

  it('names what is wrong with a bad file', () => {
    const good = makeJpeg(32, 32);
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.from('hello world'), /does not start with the JPEG start-of-image marker FFD8/],
      [good.subarray(0, 1), /too short/],
      [good.subarray(0, 30), /truncated: segment FF.. at byte \d+ runs past the end/],
      [good.subarray(0, good.length - 40), /truncated: no end-of-image marker/],
      [Buffer.from([0xff, 0xd8, 0xff, 0xd9]), /ends \(FFD9\) before any image data/],
      [Buffer.concat([good.subarray(0, 2), Buffer.from([0x12, 0x34])]), /expected a marker at byte 2/],
    ];
    for (const [buf, re] of cases) {
      expect(() => readJpegInfo(buf)).toThrow(JpegError);
      expect(() => readJpegInfo(buf)).toThrow(re);
    }
  });
});

describe('JpegSplitter', () => {
  const a = makeJpeg(40, 30, 1, 50);
  const b = withThumbnail(makeJpeg(24, 16, 2, 50));
  const c = makeJpeg(16, 16, 3);

  it('cuts a stream of JPEG files into frames whatever the chunk size, thumbnails included', () => {
    const stream = Buffer.concat([a, b, c, a]);
    for (const chunk of [1, 2, 7, 100, 4096, stream.length]) {
      const { frames, garbage } = split(stream, chunk);
      expect(frames.map((f) => f.length)).toEqual([a.length, b.length, c.length, a.length]);
      expect(frames[1]!.equals(b)).toBe(true);
      expect(garbage).toEqual([]);
    }
  });

  it('skips and reports garbage between frames and a frame cut short', () => {
    const stream = Buffer.concat([Buffer.from('junk before'), a, Buffer.from([0x00, 0xff, 0x12]), a.subarray(0, 200), b, c]);
    const { frames, garbage, splitter } = split(stream, 64);
    expect(frames.map((f) => f.length)).toEqual([a.length, b.length, c.length]);
    expect(garbage.length).toBeGreaterThan(0);
    expect(garbage.join('\n')).toMatch(/a new frame starts before the previous one ended|bytes outside any JPEG frame/);
    expect(splitter.garbageBytes).toBeGreaterThanOrEqual(11 + 3);
    expect(frames.every((f) => readJpegInfo(f).width > 0)).toBe(true);
  });

  it('drops a frame that never ends, bounded by maxFrameBytes', () => {
    const frames: Buffer[] = [];
    const reasons: string[] = [];
    const s = new JpegSplitter({ maxFrameBytes: 4096, onFrame: (f) => frames.push(f), onGarbage: (_n, why) => reasons.push(why) });
    s.push(a.subarray(0, a.length - 2)); // no EOI...
    s.push(Buffer.alloc(10_000, 0x11)); // ...and a scan that goes on
    s.push(c);
    expect(reasons.some((r) => /no end of frame within 4096 bytes/.test(r))).toBe(true);
    expect(frames.map((f) => f.length)).toEqual([c.length]);
    expect(s.pending).toBeLessThan(4096 + 100);
  });
});

describe('TileJpegEncoder and the test pattern', () => {
  it('writes real JPEGs a standard decoder reads back, tile by tile', () => {
    const enc = new TileJpegEncoder(90);
    const colors = [0xff0000, 0x00ff00, 0x0000ff, 0xffffff, 0x000000, 0x808080, 0x123456];
    const img = enc.encode(100, 60, (c, r) => colors[(c + 2 * r) % colors.length]!);
    expect(readJpegInfo(img)).toMatchObject({ width: 100, height: 60 });
    const d = jpeg.decode(img, { useTArray: true });
    expect([d.width, d.height]).toEqual([100, 60]);
    for (const [c, r] of [[0, 0], [5, 3], [12, 6]] as const) {
      const want = colors[(c + 2 * r) % colors.length]!;
      const i = ((r * 8 + 2) * 100 + c * 8 + 2) * 4; // inside the 100x60 picture, also in the partial last column
      expect(Math.abs(d.data[i]! - ((want >> 16) & 255))).toBeLessThanOrEqual(8);
      expect(Math.abs(d.data[i + 1]! - ((want >> 8) & 255))).toBeLessThanOrEqual(8);
      expect(Math.abs(d.data[i + 2]! - (want & 255))).toBeLessThanOrEqual(8);
    }
    expect(enc.cachedTiles).toBe(colors.length);
  });

  it('computes tiles after the first from the header tables: the bytes jpeg-js writes, one jpeg-js encode in all', () => {
    const colours = [0xc0c0c0, 0x000000, 0xffffff, 0x808080, 0x123456, 0xff0000, 0x00ff00, 0x0000ff, 0x101010, 0xf0f0f0, 0x7f807f, 0xc000c0];
    for (const quality of [50, 85, 95]) {
      const encode = vi.spyOn(jpeg, 'encode');
      const fast = new TileJpegEncoder(quality);
      const fastTiles = colours.map((c) => fast.tile(c));
      expect(encode).toHaveBeenCalledTimes(1); // the first tile, for the headers
      encode.mockRestore();
      const slow = new TileJpegEncoder(quality, { viaJpegJs: true });
      colours.forEach((c, i) => expect(fastTiles[i]!.toString('hex'), `0x${c.toString(16)} at quality ${quality}`).toBe(slow.tile(c).toString('hex')));
    }
  });

  it('moves and shows the time', () => {
    const cam = new TestPatternCamera({ width: 320, height: 180 });
    const t0 = new Date(2026, 0, 1, 12, 0, 0, 0).getTime();
    const f1 = jpeg.decode(cam.frame(0, t0), { useTArray: true });
    const f2 = jpeg.decode(cam.frame(5, t0), { useTArray: true });
    const f3 = jpeg.decode(cam.frame(0, t0 + 3_600_000 + 1100), { useTArray: true });
    const rows = (img: typeof f1, y0: number, y1: number) => Buffer.from(img.data.subarray(y0 * 320 * 4, y1 * 320 * 4));
    // Bars area: the block moved between frame 0 and 5; the clock area is the same at the same time.
    expect(rows(f1, 0, 104).equals(rows(f2, 0, 104))).toBe(false);
    expect(rows(f1, 112, 180).equals(rows(f2, 112, 180))).toBe(true);
    // An hour and a second later the clock differs and the bars (same frame number) do not.
    expect(rows(f1, 112, 180).equals(rows(f3, 112, 180))).toBe(false);
    expect(rows(f1, 0, 104).equals(rows(f3, 0, 104))).toBe(true);
  });
});
