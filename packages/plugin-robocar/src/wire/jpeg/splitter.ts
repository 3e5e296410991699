import { isStandaloneMarker } from './info.js';

export interface JpegSplitterOptions {
  /** A frame larger than this is garbage (no EOI in sight): it is dropped and the search starts over. */
  maxFrameBytes?: number;
  onFrame(jpeg: Buffer): void;
  /**
   * Bytes that were not part of any frame, and why (counted and logged by the caller). `bytes` is 0
   * when a frame in progress is abandoned: its bytes are reported as the search skips them.
   */
  onGarbage?(bytes: number, reason: string): void;
}

type State = 'seek' | 'segments' | 'scan';

/**
 * Splits a byte stream of concatenated JPEG files (ffmpeg's `-f mjpeg` output, a raw MJPEG body)
 * into frames. It follows the marker structure instead of searching for FFD9, because an EXIF
 * thumbnail inside a header segment carries its own FFD9.
 */
export class JpegSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private state: State = 'seek';
  /** Where the current frame starts in `buf` (valid outside 'seek'). */
  private start = 0;
  /** Where parsing continues in `buf`. */
  private pos = 0;
  private readonly maxFrameBytes: number;
  garbageBytes = 0;

  constructor(private readonly options: JpegSplitterOptions) {
    this.maxFrameBytes = options.maxFrameBytes ?? 16 << 20;
  }

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.run();
    // Keep only the frame in progress (or, while seeking, a possible FF of a split FFD8).
    const keepFrom = this.state === 'seek' ? this.pos : this.start;
    if (keepFrom > 0) {
      this.buf = this.buf.subarray(keepFrom);
      this.pos -= keepFrom;
      this.start -= keepFrom;
    }
  }

  /** Bytes held for a frame not yet complete. */
  get pending(): number {
    return this.buf.length;
  }

  private garbage(bytes: number, reason: string): void {
    if (bytes <= 0) return;
    this.garbageBytes += bytes;
    this.options.onGarbage?.(bytes, reason);
  }

  /** Drops the frame in progress and looks for the next SOI after its first byte (its bytes are reported as they are skipped). */
  private abandon(reason: string): void {
    this.options.onGarbage?.(0, reason);
    this.pos = this.start + 1;
    this.state = 'seek';
  }

  private run(): void {
    const buf = this.buf;
    for (;;) {
      if (this.state !== 'seek' && this.pos - this.start > this.maxFrameBytes) {
        this.abandon(`no end of frame within ${this.maxFrameBytes} bytes`);
      }
      if (this.state === 'seek') {
        const at = buf.indexOf(0xff, this.pos);
        if (at < 0) {
          this.garbage(buf.length - this.pos, 'bytes outside any JPEG frame');
          this.pos = buf.length;
          return;
        }
        if (at + 1 >= buf.length) {
          this.garbage(at - this.pos, 'bytes outside any JPEG frame');
          this.pos = at;
          return;
        }
        if (buf[at + 1] !== 0xd8) {
          this.garbage(at + 1 - this.pos, 'bytes outside any JPEG frame');
          this.pos = at + 1;
          continue;
        }
        this.garbage(at - this.pos, 'bytes outside any JPEG frame');
        this.start = at;
        this.pos = at + 2;
        this.state = 'segments';
        continue;
      }
      if (this.state === 'segments') {
        if (this.pos + 2 > buf.length) return;
        if (buf[this.pos] !== 0xff) {
          this.abandon('a header segment is followed by no marker');
          continue;
        }
        const marker = buf[this.pos + 1]!;
        if (marker === 0xff) {
          this.pos++;
          continue;
        }
        if (marker === 0xd9) {
          this.emit(this.pos + 2);
          continue;
        }
        if (marker === 0xd8) {
          this.abandon('a new frame starts before the previous one ended');
          continue;
        }
        if (isStandaloneMarker(marker)) {
          this.pos += 2;
          continue;
        }
        if (this.pos + 4 > buf.length) return;
        const length = (buf[this.pos + 2]! << 8) | buf[this.pos + 3]!;
        if (length < 2) {
          this.abandon(`segment FF${marker.toString(16).toUpperCase()} has an impossible length ${length}`);
          continue;
        }
        if (this.pos + 2 + length > buf.length) {
          if (this.pos + 2 + length - this.start > this.maxFrameBytes) this.abandon(`a segment would make the frame larger than ${this.maxFrameBytes} bytes`);
          else return;
          continue;
        }
        this.pos += 2 + length;
        if (marker === 0xda) this.state = 'scan';
        continue;
      }
      // Entropy-coded data: FF00 is a stuffed FF, FFD0-D7 restart markers, FF fill; any other marker ends the scan.
      const at = buf.indexOf(0xff, this.pos);
      if (at < 0 || at + 1 >= buf.length) {
        this.pos = at < 0 ? buf.length : at;
        return;
      }
      const next = buf[at + 1]!;
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
        this.pos = at + 2;
      } else if (next === 0xff) {
        this.pos = at + 1;
      } else {
        this.pos = at;
        this.state = 'segments';
      }
    }
  }

  private emit(end: number): void {
    const frame = this.buf.subarray(this.start, end);
    this.pos = end;
    this.start = end;
    this.state = 'seek';
    // A copy, so the frame does not pin the (possibly large) buffer it was cut from.
    this.options.onFrame(Buffer.from(frame));
  }
}
