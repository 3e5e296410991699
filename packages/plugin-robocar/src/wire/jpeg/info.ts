/**
 * Reads a JPEG's size from its frame header (SOF) and checks its structure (SOI, whole header
 * segments, a scan, EOI) without decoding pixels: cheap enough to run on every frame.
 */

export interface JpegInfo {
  width: number;
  height: number;
  /** Colour components: 1 grey, 3 YCbCr. */
  components: number;
  progressive: boolean;
}

/** A JPEG that cannot be used; the message says what is wrong and where. */
export class JpegError extends Error {
  override readonly name = 'JpegError';
}

/** Markers that stand alone (no length field): TEM, RST0-7, SOI, EOI. */
export function isStandaloneMarker(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9);
}

/**
 * The marker segments of a JPEG from after SOI up to the scan (standalone markers skipped): marker,
 * start, end. For headers this process wrote (jpeg-js's); a frame from outside goes through
 * readJpegInfo, which checks every length and names what is wrong.
 */
export function* headerSegments(header: Buffer): Generator<{ marker: number; at: number; end: number }> {
  let i = 2;
  while (i + 4 <= header.length) {
    if (header[i] !== 0xff) throw new Error(`no JPEG marker at byte ${i}`);
    const marker = header[i + 1]!;
    if (isStandaloneMarker(marker)) {
      i += 2;
      continue;
    }
    const end = i + 2 + header.readUInt16BE(i + 2);
    yield { marker, at: i, end };
    i = end;
  }
}

/** Start-of-frame markers (C0-CF except DHT C4, JPG C8, DAC CC). */
export function isSofMarker(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

const SOS = 0xda;
const EOI = 0xd9;
/** Some cameras pad a frame after EOI; this much padding is tolerated. */
const MAX_TRAILING_BYTES = 64;

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

/** Throws JpegError naming the problem; returns the size and layout otherwise. */
export function readJpegInfo(buf: Uint8Array): JpegInfo {
  if (buf.length < 4) throw new JpegError(`too short for a JPEG (${buf.length} bytes)`);
  if (buf[0] !== 0xff || buf[1] !== 0xd8) throw new JpegError(`does not start with the JPEG start-of-image marker FFD8 (starts with ${hex(buf[0]!)}${hex(buf[1]!)})`);
  let i = 2;
  let sof: JpegInfo | undefined;
  for (;;) {
    if (i >= buf.length) throw new JpegError('truncated: ends inside the header, before any image data');
    if (buf[i] !== 0xff) throw new JpegError(`expected a marker at byte ${i}, found ${hex(buf[i]!)}`);
    while (i < buf.length && buf[i] === 0xff) i++; // fill bytes before a marker are legal
    if (i >= buf.length) throw new JpegError('truncated: ends inside the header, before any image data');
    const marker = buf[i]!;
    const at = i - 1;
    i++;
    if (marker === EOI) throw new JpegError('ends (FFD9) before any image data');
    if (isStandaloneMarker(marker)) continue;
    if (i + 2 > buf.length) throw new JpegError(`truncated: segment FF${hex(marker)} at byte ${at} has no length`);
    const length = (buf[i]! << 8) | buf[i + 1]!;
    if (length < 2) throw new JpegError(`segment FF${hex(marker)} at byte ${at} has an impossible length ${length}`);
    if (i + length > buf.length) throw new JpegError(`truncated: segment FF${hex(marker)} at byte ${at} runs past the end of the data`);
    if (isSofMarker(marker)) {
      if (length < 8) throw new JpegError(`frame header FF${hex(marker)} at byte ${at} is too short (${length} bytes)`);
      const height = (buf[i + 3]! << 8) | buf[i + 4]!;
      const width = (buf[i + 5]! << 8) | buf[i + 6]!;
      if (width === 0 || height === 0) throw new JpegError(`frame header gives a size of ${width}x${height}`);
      sof = { width, height, components: buf[i + 7]!, progressive: marker === 0xc2 || marker === 0xc6 || marker === 0xca || marker === 0xce };
    }
    if (marker === SOS) {
      if (!sof) throw new JpegError('image data (FFDA) before any frame header (SOF): no size');
      if (!endsWithEoi(buf)) throw new JpegError('truncated: no end-of-image marker FFD9 at the end');
      return sof;
    }
    i += length;
  }
}

function endsWithEoi(buf: Uint8Array): boolean {
  const stop = Math.max(1, buf.length - MAX_TRAILING_BYTES);
  for (let j = buf.length - 1; j >= stop; j--) {
    if (buf[j] === EOI && buf[j - 1] === 0xff) return true;
    if (buf[j] !== 0x00 && buf[j] !== 0xff && buf[j] !== 0x0a && buf[j] !== 0x0d) return false;
  }
  return false;
}
